using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;

namespace NanoFed.Cluster;

/// <summary>
/// The coordinator's transport (the server side of a run on a cluster): a message to the server is serialized,
/// recorded and queued, as the in-process transport does; a message to a client is serialized, recorded and kept as
/// wire bytes until the client's turn hands them to its grain (<see cref="Take"/>). A turn's result
/// (<see cref="Accept"/>) brings the grain's ledger rows and its replies into the server's queue, and
/// <see cref="Answer"/> serves the grains' calls with the server's handler. Used by one runner thread at a time (the
/// grains' calls arrive while that thread waits for the turn).
/// </summary>
internal sealed class CoordinatorTransport(TrafficLedger ledger, IMessageHandler? server) : ITransport
{
    private readonly Queue<Message> _server = new();
    private readonly Dictionary<int, List<byte[]>> _outbound = [];

    /// <summary>The ledger every message is recorded in.</summary>
    public TrafficLedger Ledger { get; } = ledger ?? throw new ArgumentNullException(nameof(ledger));

    /// <inheritdoc/>
    public bool Send(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var bytes = WireFormat.Serialize(message);
        Ledger.Record(message, bytes.LongLength);
        if (message.Receiver == Message.Server) _server.Enqueue(WireFormat.Deserialize(bytes));
        else if (_outbound.TryGetValue(message.Receiver, out var queue)) queue.Add(bytes);
        else _outbound[message.Receiver] = [bytes];
        return true;
    }

    /// <inheritdoc/>
    public Message Call(Message request)
    {
        ArgumentNullException.ThrowIfNull(request);
        throw new TransportException($"the coordinator makes no calls (node {request.Sender} to {request.Receiver})");
    }

    /// <inheritdoc/>
    public bool TryReceive(int node, out Message? message)
    {
        message = null;
        if (node == Message.Server) return _server.TryDequeue(out message);
        var waiting = Take(node);
        if (waiting.Length == 0) return false;
        message = WireFormat.Deserialize(waiting[0]);
        if (waiting.Length > 1) _outbound[node] = [.. waiting[1..]];
        return true;
    }

    /// <inheritdoc/>
    public IReadOnlyList<Message> ReceiveAll(int node)
    {
        if (node != Message.Server) return Take(node).Select(b => WireFormat.Deserialize(b)).ToList();
        var all = _server.ToArray();
        _server.Clear();
        return all;
    }

    /// <summary>The clients that messages wait for, in ascending id.</summary>
    public IEnumerable<int> Waiting() => _outbound.Keys.Order().ToList();

    /// <summary>Takes the wire bytes waiting for <paramref name="client"/>, oldest first.</summary>
    public byte[][] Take(int client) => _outbound.Remove(client, out var waiting) ? [.. waiting] : [];

    /// <summary>Records the rows of <paramref name="client"/>'s turn and queues its replies for the server.</summary>
    public void Accept(int client, ClientTurn turn)
    {
        ArgumentNullException.ThrowIfNull(turn);
        var replies = turn.Replies.Select(b => WireFormat.Deserialize(b)).ToList();
        if (replies.Find(m => m.Sender != client || m.Receiver != Message.Server) is { } stray)
            throw new TransportException($"client {client} replied with a message {stray.Sender}->{stray.Receiver}");
        var entries = LedgerRows.FromBytes(turn.Ledger);
        int foreign = entries.FindIndex(e => e.Sender != client && e.Receiver != client);
        if (foreign >= 0) throw new TransportException($"client {client} reported a message {entries[foreign].Sender}->{entries[foreign].Receiver}");
        foreach (var e in entries) Ledger.Record(e);
        foreach (var m in replies) _server.Enqueue(m);
    }

    /// <summary>A grain's call: the server's handler answers <paramref name="request"/> (wire bytes) with the reply's wire bytes.</summary>
    public byte[] Answer(byte[] request)
    {
        var message = WireFormat.Deserialize(request);
        if (message.Receiver != Message.Server || server is null) throw new TransportException($"node {message.Receiver} answers no calls");
        var reply = server.Handle(message);
        if (reply.Receiver != message.Sender)
            throw new TransportException($"the server answered a call from {message.Sender} with a message to {reply.Receiver}");
        return WireFormat.Serialize(reply);
    }
}
