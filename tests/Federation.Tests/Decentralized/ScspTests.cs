using NanoFed.Federation.Compression;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests.Decentralized;

/// <summary>SCSP's sequencing: E training epochs (resumable in sessions), then one consensus phase of R rounds.</summary>
[Collection(nameof(WorkerCountCollection))]
public class ScspTests
{
    [Fact]
    public void TrainsItsEpochsThenRunsOneConsensusPhase()
    {
        var runner = DecentralizedRunnerStateTests.Runner(static (t, l) => SparsePush.Create(t, l, keep: 0.1, gamma: 0.2f), skewed: true);
        var scsp = new Scsp(runner, epochs: 2, consensusRounds: 6, mixBatchNorm: true);
        Assert.Null(scsp.RunConsensusPhase());
        scsp.RunEpoch();
        Assert.False(scsp.TrainingDone);
        var last = scsp.RunEpoch();
        Assert.True(scsp.TrainingDone && !scsp.Complete);
        Assert.All(last.Tests, t => Assert.NotNull(t.MeanAccuracy));
        Assert.Throws<InvalidOperationException>(() => scsp.RunEpoch());
        var consensus = scsp.RunConsensusPhase();
        Assert.NotNull(consensus);
        Assert.Equal((DecentralizedPhase.Consensus, 6), (consensus.Phase, consensus.ConsensusRounds));
        Assert.True(scsp.Complete);
        Assert.Null(scsp.RunConsensusPhase());
        Assert.Equal(3, runner.History.Count);
        // Parameters and BatchNorm statistics both travel in the consensus phase, rounds 0..5.
        var entries = runner.Ledger.Entries.Where(e => e.Phase == MessagePhase.Consensus).ToList();
        Assert.Equal([MessageKind.Weights, MessageKind.Statistics], entries.Select(e => e.Kind).Distinct().Order());
        Assert.Equal(Enumerable.Range(0, 6), entries.Select(e => e.Round).Distinct());
        Assert.Equal(runner.ConsensusBytes, entries.Sum(e => e.Bytes));
    }

    [Fact]
    public void TrainingThatGossipsEveryHIterationsStillRunsEveryConsensusRoundOnTheGraph()
    {
        const int every = 3;
        var runner = DecentralizedRunnerStateTests.Runner(static (t, l) => new PeriodicGossip(SparsePush.Create(new PeriodicTopology(t, every), l, keep: 0.1, gamma: 0.2f)));
        var scsp = new Scsp(runner, epochs: 1, consensusRounds: 4, mixBatchNorm: false);
        scsp.RunEpoch();
        var training = runner.Ledger.Entries.Where(e => e.Phase == MessagePhase.Training).ToList();
        Assert.Equal(Enumerable.Range(0, (int)runner.Iteration).Where(t => (t + 1) % every == 0), training.Select(e => e.Round).Distinct());
        scsp.RunConsensusPhase();
        var consensus = runner.Ledger.Entries.Where(e => e.Phase == MessagePhase.Consensus).ToList();
        Assert.Equal(4 * runner.Agents.Count, consensus.Count);
        Assert.All(consensus, e => Assert.Equal((e.Sender + 1) % runner.Agents.Count, e.Receiver));
    }

    [Fact]
    public void CompressedConsensusRoundsSendFewerBytesAndStillBringTheAgentsTogether()
    {
        static DecentralizedMetrics[] Phase(Func<TensorLayout, IGossip>? consensus)
        {
            var runner = DecentralizedRunnerStateTests.Runner(static (t, l) => SparsePush.Create(t, l, keep: 0.1, gamma: 0.2f), skewed: true);
            var scsp = new Scsp(runner, epochs: 1, consensusRounds: 12, mixBatchNorm: false, consensus?.Invoke(runner.Agents[0].Layout));
            return [scsp.RunEpoch(), scsp.RunConsensusPhase()!];
        }
        var dense = Phase(null);
        var quantized = Phase(static l => new DifferenceGossip(new DirectedRing(4), new QuantizeCompressor(8), 1f, l));
        Assert.Equal(dense[0], quantized[0]);
        // 8-bit codes and a scale per tensor against 32-bit values: under a third of the bytes, headers included.
        Assert.InRange(quantized[1].BytesPerAgent, 1, dense[1].BytesPerAgent / 3);
        Assert.InRange(quantized[1].ConsensusDistance, 0, quantized[0].ConsensusDistance / 30);
        Assert.InRange(dense[1].ConsensusDistance, 0, dense[0].ConsensusDistance / 30);
    }

    [Fact]
    public void WithoutConsensusRoundsItIsPlainTraining()
    {
        var runner = DecentralizedRunnerStateTests.Runner(static (t, _) => new PushSum(t));
        var plan = new Scsp(runner, epochs: 1, consensusRounds: 0, mixBatchNorm: false);
        plan.RunEpoch();
        Assert.True(plan.Complete);
        Assert.Null(plan.RunConsensusPhase());
        Assert.Equal(0, runner.ConsensusBytes);
    }
}
