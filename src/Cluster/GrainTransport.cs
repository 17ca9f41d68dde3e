using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;

namespace NanoFed.Cluster;

/// <summary>
/// The transport of the node a grain hosts (an FL client, a gossip agent): the messages the coordinator handed it
/// (<see cref="Hand"/>) wait in its inbox; what it sends is serialized by <see cref="WireFormat"/>, recorded and kept
/// as wire bytes until the coordinator takes them with the turn's ledger rows (<see cref="TakeSent"/>); its calls go
/// to the coordinator's server (<see cref="Server"/>). Rows are recorded in the order the simulation's transport
/// records them (sends, and each call's request then reply), so the coordinator's ledger, once it takes them, is the
/// simulation's. Used by one turn at a time.
/// </summary>
internal sealed class GrainTransport(int node) : ITransport
{
    private readonly Queue<Message> _inbox = new();
    private readonly List<byte[]> _sent = [];
    private readonly TrafficLedger _ledger = new();

    /// <summary>Answers the node's calls; null where its method makes none.</summary>
    public IFlServerCalls? Server { get; set; }

    /// <summary>The round of the messages last handed to the node.</summary>
    public int Round { get; private set; }

    /// <summary>Queues <paramref name="inbox"/> (wire bytes, each addressed to this node) for the node to receive.</summary>
    public void Hand(IEnumerable<byte[]> inbox)
    {
        foreach (var bytes in inbox)
        {
            var m = WireFormat.Deserialize(bytes);
            if (m.Receiver != node) throw new TransportException($"node {node} was handed a message for node {m.Receiver}");
            _inbox.Enqueue(m);
            Round = m.Round;
        }
    }

    /// <summary>Takes what the node sent since the last call (wire bytes, in sending order) and the ledger rows of every message since then.</summary>
    public (byte[][] Sent, byte[] Ledger) TakeSent()
    {
        (byte[][] Sent, byte[] Ledger) taken = ([.. _sent], LedgerRows.ToBytes(_ledger.Entries));
        _sent.Clear();
        _ledger.Clear();
        return taken;
    }

    /// <inheritdoc/>
    public bool Send(Message message)
    {
        Check(message);
        var bytes = WireFormat.Serialize(message);
        _ledger.Record(message, bytes.LongLength);
        _sent.Add(bytes);
        return true;
    }

    /// <inheritdoc/>
    public Message Call(Message request)
    {
        Check(request);
        var server = Server ?? throw new TransportException($"node {node} has no server to call");
        var bytes = WireFormat.Serialize(request);
        _ledger.Record(request, bytes.LongLength);
        // Turns run on the thread pool, outside the grain's scheduler, so waiting here holds no silo thread the reply needs.
        var answer = server.Call(bytes).GetAwaiter().GetResult();
        var reply = WireFormat.Deserialize(answer);
        if (reply.Receiver != node) throw new TransportException($"the server answered a call of node {node} with a message to node {reply.Receiver}");
        _ledger.Record(reply, answer.LongLength);
        return reply;
    }

    /// <inheritdoc/>
    public bool TryReceive(int receiver, out Message? message)
    {
        message = null;
        return receiver == node && _inbox.TryDequeue(out message);
    }

    /// <inheritdoc/>
    public IReadOnlyList<Message> ReceiveAll(int receiver)
    {
        if (receiver != node) return [];
        var all = _inbox.ToArray();
        _inbox.Clear();
        return all;
    }

    private void Check(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Sender != node || message.Receiver == node)
            throw new TransportException($"node {node} cannot send {message.Sender}->{message.Receiver}");
    }
}
