using NanoFed.Federation.Gossip;

namespace NanoFed.Federation.Decentralized;

/// <summary>
/// Skew-Compensated Sparse-Push's sequencing (specs/sparse-push.md; Aketi et al., arXiv 2102.05715): E epochs of
/// decentralized training with the runner's protocol (Sparse-Push), then one consensus phase of R rounds
/// (<see cref="DecentralizedRunner.RunConsensusRounds"/>: a train-mode forward pass per agent and one exchange per
/// round, uncompressed push-sum unless a protocol is given, the BatchNorm statistics optionally push-summed too). With
/// R = 0 it is plain decentralized training of E epochs, so one object sequences every method of a run. Epochs can be run in several
/// sessions (the runner's checkpoints hold the position); the consensus phase runs once, after the last epoch.
/// </summary>
public sealed class Scsp
{
    private readonly DecentralizedRunner _runner;

    /// <summary>
    /// <paramref name="epochs"/> (E ≥ 1) training epochs of <paramref name="runner"/>, then <paramref name="consensusRounds"/>
    /// (R ≥ 0) consensus rounds, with the BatchNorm statistics gossiped too when <paramref name="mixBatchNorm"/>, by
    /// <paramref name="consensusProtocol"/> (null: uncompressed push-sum with γ = 1 over the training graph; the spec's
    /// default).
    /// </summary>
    public Scsp(DecentralizedRunner runner, int epochs, int consensusRounds, bool mixBatchNorm, IGossip? consensusProtocol = null)
    {
        _runner = runner ?? throw new ArgumentNullException(nameof(runner));
        ArgumentOutOfRangeException.ThrowIfLessThan(epochs, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(consensusRounds);
        (Epochs, ConsensusRounds, MixBatchNorm, ConsensusProtocol) = (epochs, consensusRounds, mixBatchNorm, consensusProtocol);
    }

    /// <summary>The consensus phase's protocol, or null for uncompressed push-sum over the training graph.</summary>
    public IGossip? ConsensusProtocol { get; }

    /// <summary>E.</summary>
    public int Epochs { get; }

    /// <summary>R.</summary>
    public int ConsensusRounds { get; }

    /// <summary>Whether the consensus rounds also push-sum the BatchNorm statistics.</summary>
    public bool MixBatchNorm { get; }

    /// <summary>Whether all E training epochs are done.</summary>
    public bool TrainingDone => _runner.CompletedEpochs >= Epochs;

    /// <summary>Whether the run is complete: training done and, when R &gt; 0, the consensus phase run.</summary>
    public bool Complete => TrainingDone && (ConsensusRounds == 0 || _runner.History[^1].Phase == DecentralizedPhase.Consensus);

    /// <summary>Runs the next training epoch (every test set evaluated after the last one); throws when training is done.</summary>
    public DecentralizedMetrics RunEpoch()
    {
        if (TrainingDone) throw new InvalidOperationException($"all {Epochs} training epochs are done");
        return _runner.RunEpoch(fullEvaluation: _runner.CompletedEpochs + 1 == Epochs);
    }

    /// <summary>Records the next training epoch, run elsewhere (<see cref="DecentralizedRunner.RecordEpoch"/>), as <see cref="RunEpoch"/> would run it; throws when training is done.</summary>
    public DecentralizedMetrics RecordEpoch((long Bytes, double Loss) epoch)
    {
        if (TrainingDone) throw new InvalidOperationException($"all {Epochs} training epochs are done");
        return _runner.RecordEpoch(epoch.Bytes, epoch.Loss, fullEvaluation: _runner.CompletedEpochs + 1 == Epochs);
    }

    /// <summary>Runs the consensus phase if training is done and it has not run yet; null when there is nothing to run.</summary>
    public DecentralizedMetrics? RunConsensusPhase()
    {
        if (!TrainingDone || Complete) return null;
        return _runner.RunConsensusRounds(ConsensusRounds, ConsensusProtocol, MixBatchNorm);
    }
}
