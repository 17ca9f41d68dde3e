namespace NanoFed.Federation.Transport;

/// <summary>
/// The messages waiting for one node, taken by what they are for: a node that runs several exchanges in one round
/// (a gossip peer's parameters and BatchNorm statistics) takes each one's messages by kind, phase and round, and the
/// others stay for their own exchange, whatever order they arrived in.
/// </summary>
public sealed class Mailbox(int node, ITransport transport)
{
    private readonly ITransport _transport = transport ?? throw new ArgumentNullException(nameof(transport));
    private readonly List<Message> _pending = [];

    /// <summary>The node whose messages these are.</summary>
    public int Node { get; } = node;

    /// <summary>Messages received but not yet taken.</summary>
    public int Pending => _pending.Count;

    /// <summary>
    /// Those of <paramref name="senders"/> whose message of <paramref name="kind"/> in <paramref name="phase"/> and
    /// <paramref name="round"/> has not been received yet (a peer process waits for none before a synchronous receive).
    /// </summary>
    public int[] Missing(MessageKind kind, MessagePhase phase, int round, IEnumerable<int> senders)
    {
        ArgumentNullException.ThrowIfNull(senders);
        _pending.AddRange(_transport.ReceiveAll(Node));
        return senders.Where(j => !_pending.Exists(m => m.Sender == j && m.Kind == kind && m.Phase == phase && m.Round == round)).ToArray();
    }

    /// <summary>Takes every message of <paramref name="kind"/> in <paramref name="phase"/> and <paramref name="round"/> received so far, in arrival order.</summary>
    public IReadOnlyList<Message> Take(MessageKind kind, MessagePhase phase, int round)
    {
        _pending.AddRange(_transport.ReceiveAll(Node));
        var taken = _pending.Where(m => m.Kind == kind && m.Phase == phase && m.Round == round).ToList();
        if (taken.Count > 0) _pending.RemoveAll(m => m.Kind == kind && m.Phase == phase && m.Round == round);
        return taken;
    }
}
