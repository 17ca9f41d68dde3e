using NanoFed.Federation.Ledger;

namespace NanoFed.Federation.Transport;

/// <summary>
/// An in-process transport that behaves like a network: every sent message is serialized with
/// <see cref="WireFormat"/>, its byte count recorded in <see cref="Ledger"/>, and the receiver gets the message
/// deserialized from those bytes, never the sender's objects, so what arrives is exactly what the bytes say
/// (quantization and sparsification are really applied, and the count is the true wire size). Not thread-safe.
/// </summary>
public sealed class InProcessTransport(TrafficLedger ledger) : ITransport
{
    private readonly Dictionary<int, Queue<Message>> _queues = [];
    private readonly Dictionary<int, IMessageHandler> _handlers = [];

    /// <summary>The ledger every message is recorded in.</summary>
    public TrafficLedger Ledger { get; } = ledger ?? throw new ArgumentNullException(nameof(ledger));

    /// <summary>Makes <paramref name="handler"/> answer the <see cref="Call"/>s addressed to <paramref name="node"/>.</summary>
    public void Register(int node, IMessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (!_handlers.TryAdd(node, handler)) throw new ArgumentException($"node {node} already has a handler", nameof(node));
    }

    /// <inheritdoc/>
    public bool Send(Message message)
    {
        var copy = Deliver(message);
        if (!_queues.TryGetValue(copy.Receiver, out var queue)) _queues[copy.Receiver] = queue = new Queue<Message>();
        queue.Enqueue(copy);
        return true;
    }

    /// <inheritdoc/>
    public Message Call(Message request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_handlers.TryGetValue(request.Receiver, out var handler)) throw new TransportException($"node {request.Receiver} answers no calls");
        var reply = handler.Handle(Deliver(request));
        if (reply.Receiver != request.Sender)
            throw new TransportException($"node {request.Receiver} answered a call from {request.Sender} with a message to {reply.Receiver}");
        return Deliver(reply);
    }

    /// <summary>Serializes <paramref name="message"/>, records its size and returns what the receiver gets: the message read back from the bytes.</summary>
    private Message Deliver(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var bytes = WireFormat.Serialize(message);
        Ledger.Record(message, bytes.LongLength);
        return WireFormat.Deserialize(bytes);
    }

    /// <inheritdoc/>
    public bool TryReceive(int node, out Message? message)
    {
        message = null;
        return _queues.TryGetValue(node, out var queue) && queue.TryDequeue(out message);
    }

    /// <inheritdoc/>
    public IReadOnlyList<Message> ReceiveAll(int node)
    {
        if (!_queues.TryGetValue(node, out var queue)) return [];
        var all = queue.ToArray();
        queue.Clear();
        return all;
    }
}
