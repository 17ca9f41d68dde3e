using System.Globalization;
using NanoFed.Nets;
using NanoFed.Federation.Gossip;
using NanoFed.Nets.Checkpoints;

namespace NanoFed.Federation.Decentralized;

/// <summary>Checkpoints of a decentralized run, at epoch granularity.</summary>
public sealed partial class DecentralizedRunner
{
    /// <summary>The "format" metadata value of a decentralized checkpoint.</summary>
    public const string CheckpointFormat = "nanofed-decentralized/1";

    private const string RunnerPrefix = "runner.";

    /// <summary>
    /// Writes the whole run state to <paramref name="path"/> as one safetensors file, atomically (a temporary file, then
    /// a rename): per agent i, its state_dict under "agent.i.model." (parameters and BatchNorm buffers), its SGD
    /// momentum buffers under "agent.i.momentum.", its gossip node (<see cref="GossipNode.SaveState"/>: z, w and the
    /// protocol's buffers) under "agent.i.gossip."; I64 scalars "runner.epoch", "runner.iteration",
    /// "runner.consensus_round", "runner.training_bytes", "runner.consensus_bytes", "runner.agents"; metadata "format", "protocol"
    /// (communication mode and protocol type), "metrics" (JSON of <see cref="History"/>) and the caller's <paramref name="metadata"/> (e.g. the run's
    /// configuration). The data order of every epoch is a pure function of (seed, agent, epoch), so the epoch count
    /// is the loaders' whole position. After consensus rounds it first switches back to the training protocol, as the
    /// next <see cref="RunEpoch"/> would and as <see cref="Load"/> does (z and w carried over, the consensus protocol's
    /// private state dropped), so the file holds the consensus phase's result and a loaded runner goes on as this one.
    /// </summary>
    public void Save(string path, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        if (!ReferenceEquals(_active, _gossip)) Use(_gossip);
        var entries = new List<SafeTensor>();
        for (int i = 0; i < _agents.Length; i++)
        {
            string prefix = $"agent.{i}.";
            foreach (var (name, value) in _agents[i].Snapshot()) entries.Add(SafeTensor.FromTensor(prefix + name, value));
        }
        entries.Add(SafeTensor.FromInt64(RunnerPrefix + "epoch", [_epoch]));
        entries.Add(SafeTensor.FromInt64(RunnerPrefix + "iteration", [Iteration]));
        entries.Add(SafeTensor.FromInt64(RunnerPrefix + "consensus_round", [_consensusRound]));
        entries.Add(SafeTensor.FromInt64(RunnerPrefix + "training_bytes", [TrainingBytes]));
        entries.Add(SafeTensor.FromInt64(RunnerPrefix + "consensus_bytes", [ConsensusBytes]));
        entries.Add(SafeTensor.FromInt64(RunnerPrefix + "agents", [_agents.Length]));
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        if (metadata is not null)
            foreach (var (k, v) in metadata) meta[k] = v;
        meta["format"] = CheckpointFormat;
        meta["protocol"] = ProtocolName;
        meta["metrics"] = DecentralizedMetrics.ToJson(_history);
        SafeTensors.WriteRaw(path, entries, meta);
    }

    /// <summary>
    /// Restores what <see cref="Save"/> wrote into this runner, which must be built as the saved one was (same agents,
    /// models, data, protocol, test sets, schedule); the next <see cref="RunEpoch"/> then continues bit for bit as the
    /// uninterrupted run. <see cref="Ledger"/> is left as it is (its entries are not checkpointed; the byte totals are).
    /// Returns the file's metadata. A file that is not such a checkpoint, or does not fit this runner, raises
    /// <see cref="DataFormatException"/> naming it.
    /// </summary>
    public IReadOnlyDictionary<string, string> Load(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var (raw, metadata) = SafeTensors.ReadRaw(path);
        if (!metadata.TryGetValue("format", out var format) || format != CheckpointFormat)
            throw new DataFormatException(path, $"not a NanoFed decentralized checkpoint (no \"format\": \"{CheckpointFormat}\" in __metadata__)");
        try
        {
            long agents = Scalar(raw, "agents");
            if (agents != _agents.Length) throw new ArgumentException($"checkpoint of {agents} agents for a run of {_agents.Length}");
            string saved = metadata.GetValueOrDefault("protocol", "?");
            if (saved != ProtocolName) throw new ArgumentException($"checkpoint of a '{saved}' run for a '{ProtocolName}' run");
            if (!ReferenceEquals(_active, _gossip)) Use(_gossip);
            for (int i = 0; i < _agents.Length; i++) LoadAgent(raw, i);
            var history = DecentralizedMetrics.FromJson(metadata.TryGetValue("metrics", out var json) ? json : throw new ArgumentException("no metrics in __metadata__"));
            _epoch = checked((int)Scalar(raw, "epoch"));
            Iteration = Scalar(raw, "iteration");
            _consensusRound = Scalar(raw, "consensus_round");
            TrainingBytes = Scalar(raw, "training_bytes");
            ConsensusBytes = Scalar(raw, "consensus_bytes");
            _history.Clear();
            _history.AddRange(history);
            foreach (var a in _agents) a.TakeTrainStats();
        }
        catch (Exception e) when (e is ArgumentException or FormatException or KeyNotFoundException or InvalidOperationException or OverflowException)
        {
            throw new DataFormatException(path, e.Message, e);
        }
        return metadata;
    }

    /// <summary>The communication mode and the training protocol's type, so a checkpoint is not loaded into another kind of run.</summary>
    private string ProtocolName => _gossip is null ? Communication.ToString() : $"{Communication}:{_gossip.GetType().Name}";

    private void LoadAgent(Dictionary<string, SafeTensor> raw, int i)
    {
        string prefix = $"agent.{i}.";
        _agents[i].Restore(raw.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(e => e.Key[prefix.Length..], e => e.Value.ToTensor().Span.ToArray(), StringComparer.Ordinal));
    }

    private static long Scalar(Dictionary<string, SafeTensor> raw, string name)
    {
        if (!raw.TryGetValue(RunnerPrefix + name, out var t)) throw new KeyNotFoundException($"missing {RunnerPrefix + name}");
        var values = t.ToInt64();
        if (values.Length != 1) throw new FormatException($"{RunnerPrefix + name} must hold one value, has {values.Length}");
        return values[0];
    }
}
