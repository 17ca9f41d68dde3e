using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// A gossip protocol over an <see cref="Topology.ITopology"/>: node i at iteration t first <see cref="Send"/>s (which may
/// update its own compression state), then, once every message of iteration t is delivered or known undeliverable,
/// <see cref="Receive"/>s its inbox. The messages are wire <see cref="Message"/>s (kind <see cref="MessageKind.Weights"/>,
/// round t, tensors built by <see cref="GossipMessages"/>), so what a receiver applies is what the bytes say. A protocol
/// holds no node state: everything of node i lives in its <see cref="GossipNode"/>. Nothing here knows about networks
/// or models.
/// </summary>
public interface IGossip
{
    /// <summary>The communication graph.</summary>
    Topology.ITopology Topology { get; }

    /// <summary>A fresh node state with x_i = <paramref name="x0"/>.</summary>
    GossipNode CreateNode(ReadOnlySpan<float> x0);

    /// <summary>The messages node <paramref name="i"/> sends at iteration <paramref name="t"/> (one per out-peer).</summary>
    Message[] Send(GossipNode node, int i, long t);

    /// <summary>
    /// Applies iteration <paramref name="t"/>'s <paramref name="inbox"/> (any order; it is sorted by sender) to node
    /// <paramref name="i"/>. <paramref name="undelivered"/> are the messages of iteration t that node i sent but the
    /// transport could not deliver: the node keeps what they gave away, so the total push-sum mass is conserved. A
    /// protocol that cannot keep a share (symmetric mixing without push-sum weights) throws an
    /// <see cref="InvalidOperationException"/> naming itself when <paramref name="undelivered"/> is not empty.
    /// </summary>
    void Receive(GossipNode node, int i, long t, IReadOnlyList<Message> inbox, IReadOnlyList<Message> undelivered);
}
