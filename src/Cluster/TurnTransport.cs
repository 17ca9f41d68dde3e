using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;

namespace NanoFed.Cluster;

/// <summary>
/// The transport of one client grain's turn: the round's messages it was handed, its sends to the server kept as wire
/// bytes for the coordinator, and its calls carried to the coordinator's server (<see cref="IFlServerCalls"/>). Every
/// message is serialized by <see cref="WireFormat"/> and recorded in <see cref="Ledger"/> in the order the simulation's
/// transport records it, so the coordinator's ledger, once it takes these rows, is the simulation's.
/// </summary>
internal sealed class TurnTransport : ITransport
{
    private readonly int _client;
    private readonly IFlServerCalls _server;
    private readonly Queue<Message> _inbox = new();
    private readonly List<byte[]> _replies = [];

    /// <summary>The turn of <paramref name="client"/> with <paramref name="inbox"/> (wire bytes), calling <paramref name="server"/>.</summary>
    public TurnTransport(int client, IEnumerable<byte[]> inbox, IFlServerCalls server)
    {
        _client = client;
        _server = server;
        foreach (var bytes in inbox)
        {
            var m = WireFormat.Deserialize(bytes);
            if (m.Receiver != client) throw new TransportException($"client {client} was handed a message for node {m.Receiver}");
            _inbox.Enqueue(m);
        }
    }

    /// <summary>Every message of the turn.</summary>
    public TrafficLedger Ledger { get; } = new();

    /// <summary>The messages sent to the server, in wire format, in sending order.</summary>
    public IReadOnlyList<byte[]> Replies => _replies;

    /// <inheritdoc/>
    public bool Send(Message message)
    {
        Check(message);
        var bytes = WireFormat.Serialize(message);
        Ledger.Record(message, bytes.LongLength);
        _replies.Add(bytes);
        return true;
    }

    /// <inheritdoc/>
    public Message Call(Message request)
    {
        Check(request);
        var bytes = WireFormat.Serialize(request);
        Ledger.Record(request, bytes.LongLength);
        // The turn runs on the thread pool, outside the grain's scheduler, so waiting here holds no silo thread the reply needs.
        var answer = _server.Call(bytes).GetAwaiter().GetResult();
        var reply = WireFormat.Deserialize(answer);
        if (reply.Receiver != _client) throw new TransportException($"the server answered a call of client {_client} with a message to node {reply.Receiver}");
        Ledger.Record(reply, answer.LongLength);
        return reply;
    }

    /// <inheritdoc/>
    public bool TryReceive(int node, out Message? message)
    {
        message = null;
        return node == _client && _inbox.TryDequeue(out message);
    }

    /// <inheritdoc/>
    public IReadOnlyList<Message> ReceiveAll(int node)
    {
        if (node != _client) return [];
        var all = _inbox.ToArray();
        _inbox.Clear();
        return all;
    }

    private void Check(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Sender != _client || message.Receiver != Message.Server)
            throw new TransportException($"client {_client} may only send to the server, not {message.Sender}->{message.Receiver}");
    }
}
