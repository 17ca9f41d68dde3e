using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// One gossip protocol's endpoint at one node: it holds the node's state, sends the node's messages of an iteration
/// through an <see cref="ITransport"/> (stamped with the channel's kind and the iteration's phase) and applies the
/// node's inbox. A message the transport could not deliver (<see cref="ITransport.Send"/> returned false) stays with
/// the channel until the receive, where the protocol gives its share back to the node. Reads no other node's state,
/// so the node can live in another process.
/// </summary>
public sealed class GossipChannel
{
    private readonly ITransport _transport;
    private readonly List<Message> _undelivered = [];

    /// <summary>Node <paramref name="node"/>'s endpoint of <paramref name="protocol"/> over <paramref name="transport"/>, its messages of kind <paramref name="kind"/>.</summary>
    public GossipChannel(int node, IGossip protocol, GossipNode state, ITransport transport, MessageKind kind = MessageKind.Weights)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(node);
        Protocol = protocol ?? throw new ArgumentNullException(nameof(protocol));
        State = state ?? throw new ArgumentNullException(nameof(state));
        _transport = transport ?? throw new ArgumentNullException(nameof(transport));
        if (node >= protocol.Topology.NodeCount) throw new ArgumentOutOfRangeException(nameof(node), node, $"no node {node} in a topology of {protocol.Topology.NodeCount}");
        (Node, Kind) = (node, kind);
    }

    /// <summary>The node index i.</summary>
    public int Node { get; }

    /// <summary>The protocol.</summary>
    public IGossip Protocol { get; }

    /// <summary>The node's state (z, w and the protocol's buffers).</summary>
    public GossipNode State { get; }

    /// <summary>The kind stamped on this channel's messages (parameters: weights; BatchNorm buffers: statistics).</summary>
    public MessageKind Kind { get; }

    /// <summary>Messages of the last <see cref="Send"/> that were not delivered (kept until <see cref="Receive"/>).</summary>
    public int Undelivered => _undelivered.Count;

    /// <summary>Sends node i's messages of iteration <paramref name="t"/> in <paramref name="phase"/>; returns them as sent.</summary>
    public IReadOnlyList<Message> Send(long t, MessagePhase phase)
    {
        if (_undelivered.Count > 0) throw new InvalidOperationException($"node {Node} sends iteration {t} before receiving the previous one");
        var messages = Protocol.Send(State, Node, t);
        for (int m = 0; m < messages.Length; m++)
        {
            var message = messages[m];
            if (message.Kind != Kind || message.Phase != phase)
                messages[m] = message = new Message(message.Round, message.Sender, message.Receiver, Kind, message.Payload, phase);
            if (!_transport.Send(message)) _undelivered.Add(message);
        }
        return messages;
    }

    /// <summary>Applies <paramref name="inbox"/> (this channel's messages of iteration <paramref name="t"/>) and the undelivered shares to the node.</summary>
    public void Receive(long t, IReadOnlyList<Message> inbox)
    {
        Protocol.Receive(State, Node, t, inbox, _undelivered);
        _undelivered.Clear();
    }
}
