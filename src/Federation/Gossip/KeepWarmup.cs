using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// Compression warm-up: the protocol of iteration t is the one built for keep(t) = K₀ · (K / K₀)^(t / T) while t &lt; T,
/// and for the target K from t = T on, geometric in keep from the start K₀ (e.g. 10%, or 1 for every entry) to K over
/// the first T iterations. Early iterations, when the models move most, then send more entries; every message is
/// still an ordinary message of the protocol for that keep, so the ledger counts the bytes as sent. The protocols
/// share one node state (they must be of one kind, differing only in keep), which is sound because a protocol holds no
/// node state (<see cref="IGossip"/>). A protocol is built once per warm-up iteration, on first use.
/// </summary>
public sealed class KeepWarmup : IGossip
{
    private readonly Func<double, IGossip> _protocol;
    private readonly IGossip _target;
    private readonly IGossip?[] _warmup;

    /// <summary>
    /// Warm-up over <paramref name="iterations"/> (T ≥ 1) from <paramref name="start"/> (K₀) to <paramref name="target"/>
    /// (K, 0 &lt; K ≤ K₀ ≤ 1), with <paramref name="protocol"/>(keep) the protocol of a keep.
    /// </summary>
    public KeepWarmup(Func<double, IGossip> protocol, double start, double target, int iterations)
    {
        _protocol = protocol ?? throw new ArgumentNullException(nameof(protocol));
        if (!(target > 0 && target <= start && start <= 1)) throw new ArgumentOutOfRangeException(nameof(start), $"keep warm-up needs 0 < target <= start <= 1, got start {start}, target {target}");
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        (Start, Target) = (start, target);
        _target = protocol(target);
        _warmup = new IGossip?[iterations];
    }

    /// <summary>K₀.</summary>
    public double Start { get; }

    /// <summary>K.</summary>
    public double Target { get; }

    /// <summary>T.</summary>
    public int Iterations => _warmup.Length;

    /// <inheritdoc/>
    public Topology.ITopology Topology => _target.Topology;

    /// <summary>keep(t) = K₀ · (K / K₀)^(t / T) for t &lt; T, K from then on.</summary>
    public double KeepAt(long t)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(t);
        return t >= Iterations ? Target : Start * Math.Pow(Target / Start, (double)t / Iterations);
    }

    /// <summary>The protocol of iteration <paramref name="t"/>.</summary>
    public IGossip At(long t)
    {
        if (KeepAt(t) == Target) return _target;
        ref var slot = ref _warmup[t];
        return slot ??= _protocol(KeepAt(t));
    }

    /// <inheritdoc/>
    public GossipNode CreateNode(ReadOnlySpan<float> x0) => _target.CreateNode(x0);

    /// <inheritdoc/>
    public Message[] Send(GossipNode node, int i, long t) => At(t).Send(node, i, t);

    /// <inheritdoc/>
    public void Receive(GossipNode node, int i, long t, IReadOnlyList<Message> inbox, IReadOnlyList<Message> undelivered) => At(t).Receive(node, i, t, inbox, undelivered);
}
