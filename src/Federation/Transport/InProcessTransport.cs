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

    /// <summary>The ledger every message is recorded in.</summary>
    public TrafficLedger Ledger { get; } = ledger ?? throw new ArgumentNullException(nameof(ledger));

    /// <inheritdoc/>
    public void Send(Message message)
    {
        var copy = Deliver(message);
        if (!_queues.TryGetValue(copy.Receiver, out var queue)) _queues[copy.Receiver] = queue = new Queue<Message>();
        queue.Enqueue(copy);
    }

    /// <inheritdoc/>
    public Message Deliver(Message message)
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
