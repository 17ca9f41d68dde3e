using NanoFed.Federation.Aggregation;
using NanoFed.Autograd;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// EcoFed, Wu et al., "EcoFed: Efficient Communication for DNN Partitioning-based Federated Learning" (IEEE TPDS 2024,
/// arXiv 2304.05495), as specs/ecofed.md (method 5) describes it; this is the server, the device is
/// <see cref="EcoFedClient"/>. The model is cut at a split index: the device part
/// (front) is pre-trained (<see cref="PretrainedFront"/>) and frozen, never trained and never sent, so no weights go up
/// and no gradients come down; the server trains the back part.
/// <list type="bullet">
/// <item>Update rounds, round r (1-based) with (r − 1) mod P = 0, i.e. the spec's r mod P = 0 with r counted from 0,
/// so round 1 is an update round: each sampled device runs its front over one epoch of its data in batches of B in
/// a shuffled order (its BatchNorm uses batch statistics), quantizes each batch's activations to b bits (one scale
/// per tensor, max|a| / (2^(b−1) − 1), round to nearest; per channel as an option) and sends them with its labels
/// (as bytes), as its round context instructs. The server stores them in the <see cref="ReplayBuffer"/> (replacing
/// that client's entry) and trains a copy of the global back per sender on the de-quantized activations.</item>
/// <item>Replay rounds (the others): the devices send nothing and compute nothing; the server draws K entries (K the
/// clients sampled this round) from the buffer without replacement, from a stream keyed by the run's seed and the
/// round, and trains a copy of the back on each.</item>
/// </list>
/// In every round each copy starts from the global back, trains E epochs of SGD (state reset) at batch B on its
/// entry's samples (in stored order unless <see cref="EcoFedOptions.ReshuffleReplay"/>), and the copies are averaged
/// by sample count into the global back. No training data goes down (only an update round's context, a Control-phase
/// message off the simulated clock), so a device's round time is its front forward and upload.
/// The front runs in evaluation mode: dropout off, and a BatchNorm with running statistics uses the pre-trained ones
/// rather than updating them (the spec's VGG11 variant has batch-statistics BatchNorm, which evaluation mode keeps).
/// </summary>
public sealed partial class EcoFed : IFlStrategy
{
    /// <summary>Prefix of the activation tensors in a device's reply: batch j is "activations.j".</summary>
    public const string ActivationsPrefix = "activations.";

    /// <summary>Name of the labels tensor in a device's reply.</summary>
    public const string LabelsName = "labels";

    /// <summary>Stream id of the replay draws: round r draws from new RngStream(seed, ReplayStream).Split(r).</summary>
    public const ulong ReplayStream = 0xEC0F_0001;

    /// <summary>Stream id of the reshuffles: client k in round r uses new RngStream(seed, ShuffleStream).Split(r).Split(k).</summary>
    public const ulong ShuffleStream = 0xEC0F_0002;

    private readonly Func<Sequential> _createModel;
    private readonly Sequential _global;
    private readonly Sequential _front;
    private readonly Sequential _back;
    private readonly Tape _tape = new();
    private Sequential? _work;
    private double[][]? _sums;
    private int _configuredRound = -1;
    private int _sampled;
    private ulong? _seed;

    /// <summary>Creates EcoFed.</summary>
    /// <param name="createModel">Builds the whole architecture; called once for the global model and once more, at the
    /// first aggregation, for the server's working copy of the back part (whose weights are always overwritten).</param>
    /// <param name="splitIndex">The cut: children [0, splitIndex) are the device part (0 &lt; splitIndex &lt; count).</param>
    /// <param name="inputShape">One input image (C, H, W), for FLOP counting.</param>
    /// <param name="front">The pre-trained device part, copied into the front before anything runs.</param>
    /// <param name="options">The options; the spec's defaults if null.</param>
    public EcoFed(Func<Sequential> createModel, int splitIndex, ReadOnlySpan<int> inputShape, PretrainedFront front, EcoFedOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        ArgumentNullException.ThrowIfNull(front);
        Options = options ?? new EcoFedOptions();
        Options.Validate();
        _createModel = createModel;
        _global = createModel();
        if (splitIndex <= 0 || splitIndex >= _global.Count)
            throw new ArgumentOutOfRangeException(nameof(splitIndex), splitIndex, $"the split index must leave layers on both sides: 1..{_global.Count - 1}");
        SplitIndex = splitIndex;
        (_front, _back) = _global.Split(splitIndex);
        front.CopyInto(_front);
        _front.Freeze();
        _global.Eval();
        Front = front;
        FrontForwardFlopsPerImage = FlopCounter.Forward(_front, inputShape);
        BackForwardFlopsPerImage = FlopCounter.Forward(_global, inputShape) - FrontForwardFlopsPerImage;
        BackElements = _back.StateDict().Sum(t => (long)t.Value.Length);
        Buffer = new ReplayBuffer(Options.BufferCapacity);
    }

    /// <summary>How the server combines its trained copies of the back: the sample-weighted mean unless a robust rule is given.</summary>
    public IAggregator Aggregator { get; init; } = Aggregators.Mean;

    /// <inheritdoc/>
    public string Name => "ecofed";

    /// <summary>The options.</summary>
    public EcoFedOptions Options { get; }

    /// <summary>Where the frozen device part came from (for the run folder: <see cref="PretrainedFront.Description"/>).</summary>
    public PretrainedFront Front { get; }

    /// <summary>The cut: the device part holds the model's first SplitIndex children.</summary>
    public int SplitIndex { get; }

    /// <inheritdoc/>
    public Module GlobalModel => _global;

    /// <summary>The frozen device part (shares its modules with <see cref="GlobalModel"/>).</summary>
    public Module DevicePart => _front;

    /// <summary>The server's global back part (shares its modules with <see cref="GlobalModel"/>).</summary>
    public Module ServerPart => _back;

    /// <summary>The server's replay buffer.</summary>
    public ReplayBuffer Buffer { get; }

    /// <summary>Forward FLOPs of the device part for one image (the device's only computation).</summary>
    public long FrontForwardFlopsPerImage { get; }

    /// <summary>Forward FLOPs of the back part for one image.</summary>
    public long BackForwardFlopsPerImage { get; }

    /// <summary>Elements in the back part's state dict (what the server averages).</summary>
    public long BackElements { get; }

    /// <summary>
    /// Update round: each sampled client's round context (B, b, per-channel scales), the only thing that goes down.
    /// Replay round: no messages, the devices do nothing. Records K, the number of sampled clients, and the run's seed
    /// (the key of the replay draws).
    /// </summary>
    public IReadOnlyList<Message> ConfigureRound(FlRound round)
    {
        ArgumentNullException.ThrowIfNull(round);
        _configuredRound = round.Round;
        _sampled = round.Clients.Count;
        _seed = round.Seed;
        if (!Options.IsUpdateRound(round.Round)) return [];
        (string, double)[] instructions = [(Instructions.Batch, Options.B), (Instructions.Bits, Options.Bits), (Instructions.PerChannel, Options.PerChannel ? 1 : 0)];
        return round.Clients.Select(c => new RoundContext(round.Round, c, round.Seed, instructions).ToMessage()).ToList();
    }

    /// <summary>
    /// Update round: stores every sender's activations in the buffer and trains a copy of the back on each. Replay
    /// round: trains copies on K entries drawn from the buffer. Then averages the copies into the global back; returns
    /// the server FLOPs (back forward and backward on every sample trained, plus the averaging).
    /// </summary>
    public RoundAggregate Aggregate(int round, IReadOnlyList<Message> replies, IReadOnlyList<ClientFailure> failures)
    {
        ArgumentNullException.ThrowIfNull(replies);
        IReadOnlyList<ReplayEntry> entries;
        if (Options.IsUpdateRound(round))
        {
            var received = Entries(round, replies);
            foreach (var e in received) Buffer.Put(e);
            entries = received;
        }
        else
        {
            if (replies.Count != 0) throw new ArgumentException($"round {round} is a replay round, yet {replies.Count} messages arrived", nameof(replies));
            if (_configuredRound != round) throw new InvalidOperationException($"round {round} was not configured, so K is unknown");
            entries = Buffer.Count == 0 ? [] : Buffer.Sample(_sampled, new RngStream(Seed, ReplayStream).Split((ulong)round));
        }
        return RoundAggregate.Of(TrainAndAverage(round, entries));
    }

    /// <summary>The run's seed, as the runner opened the round with it.</summary>
    private ulong Seed => _seed ?? throw new InvalidOperationException("no round was configured, so the run's seed is unknown");

    /// <summary>One entry per sender, in sender order, from the Activations and Labels messages.</summary>
    private static List<ReplayEntry> Entries(int round, IReadOnlyList<Message> replies)
    {
        var activations = replies.Where(m => m.Kind == MessageKind.Activations).ToDictionary(m => m.Sender);
        var labels = replies.Where(m => m.Kind == MessageKind.Labels).ToDictionary(m => m.Sender);
        if (activations.Count + labels.Count != replies.Count || !activations.Keys.Order().SequenceEqual(labels.Keys.Order()))
            throw new ArgumentException($"round {round}: every sender must send exactly one Activations and one Labels message", nameof(replies));
        var entries = new List<ReplayEntry>(activations.Count);
        foreach (int sender in activations.Keys.Order())
        {
            var y = Array.ConvertAll(labels[sender][LabelsName].ToArray(), v => (int)v);
            entries.Add(new ReplayEntry(sender, activations[sender].Payload, y));
        }
        return entries;
    }
}
