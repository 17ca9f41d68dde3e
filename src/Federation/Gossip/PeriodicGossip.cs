using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// Gossip once every H iterations: a protocol built over a <see cref="PeriodicTopology"/> runs at its gossip rounds
/// (<see cref="PeriodicTopology.IsRound"/>: (t − S + 1) mod H = 0 in the phase starting at S) and does nothing at the others, so the agents take H local steps per gossip
/// and send H times fewer messages. Nothing of the inner protocol runs between rounds: its compression state (error
/// memory, public copies) and its consensus step see one round per H iterations, as if its iterations were the gossip
/// rounds, while the messages and the learning-rate-scaled consensus step keep the iteration t.
/// </summary>
public sealed class PeriodicGossip : IGossip
{
    private readonly IGossip _inner;
    private readonly PeriodicTopology _topology;

    /// <summary>Runs <paramref name="inner"/> at the gossip rounds of its topology, which must be a <see cref="PeriodicTopology"/>.</summary>
    public PeriodicGossip(IGossip inner)
    {
        _inner = inner ?? throw new ArgumentNullException(nameof(inner));
        _topology = inner.Topology as PeriodicTopology
            ?? throw new ArgumentException($"a periodic protocol needs a {nameof(PeriodicTopology)}, got {inner.Topology.GetType().Name}", nameof(inner));
    }

    /// <inheritdoc/>
    public ITopology Topology => _topology;

    /// <inheritdoc/>
    public GossipNode CreateNode(ReadOnlySpan<float> x0) => _inner.CreateNode(x0);

    /// <inheritdoc/>
    public Message[] Send(GossipNode node, int i, long t) => _topology.IsRound(t) ? _inner.Send(node, i, t) : [];

    /// <inheritdoc/>
    public void Receive(GossipNode node, int i, long t, IReadOnlyList<Message> inbox, IReadOnlyList<Message> undelivered)
    {
        ArgumentNullException.ThrowIfNull(inbox);
        ArgumentNullException.ThrowIfNull(undelivered);
        if (_topology.IsRound(t)) _inner.Receive(node, i, t, inbox, undelivered);
        else if (inbox.Count + undelivered.Count > 0)
            throw new InvalidOperationException($"node {i} got messages at iteration {t}, between gossip rounds");
    }
}
