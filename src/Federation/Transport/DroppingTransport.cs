namespace NanoFed.Federation.Transport;

/// <summary>
/// Fault injection: a transport that loses the messages a rule picks (a lossy link, a peer that is down) and passes
/// every other call to the transport it wraps. A lost message is not serialized or recorded; <see cref="Send"/>
/// returns false for it, as a real transport does for an unreachable receiver, and <see cref="Call"/> throws a
/// <see cref="TransportException"/>. <see cref="Random"/>
/// drops a seeded fraction, decided per message by a hash of (seed, phase, round, sender, receiver), so the choice
/// does not depend on the order of sending.
/// </summary>
public sealed class DroppingTransport(ITransport inner, Func<Message, bool> drop) : ITransport
{
    private readonly ITransport _inner = inner ?? throw new ArgumentNullException(nameof(inner));
    private readonly Func<Message, bool> _drop = drop ?? throw new ArgumentNullException(nameof(drop));

    /// <summary>Messages lost so far.</summary>
    public int Dropped { get; private set; }

    /// <summary>A transport over <paramref name="inner"/> that loses each message with probability <paramref name="fraction"/>, drawn from <paramref name="seed"/>.</summary>
    public static DroppingTransport Random(ITransport inner, double fraction, ulong seed)
    {
        if (!(fraction >= 0 && fraction <= 1)) throw new ArgumentOutOfRangeException(nameof(fraction), fraction, "the dropped fraction must be in [0, 1]");
        return new DroppingTransport(inner, m =>
        {
            var rng = new RngStream(seed, (ulong)m.Phase).Split((ulong)m.Round).Split((ulong)(uint)m.Sender).Split((ulong)(uint)m.Receiver);
            return rng.NextFloat() < fraction;
        });
    }

    /// <inheritdoc/>
    public bool Send(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (_drop(message))
        {
            Dropped++;
            return false;
        }
        return _inner.Send(message);
    }

    /// <inheritdoc/>
    public bool TryReceive(int node, out Message? message) => _inner.TryReceive(node, out message);

    /// <inheritdoc/>
    public IReadOnlyList<Message> ReceiveAll(int node) => _inner.ReceiveAll(node);

    /// <inheritdoc/>
    public Message Call(Message request) => _inner.Call(Reached(request));

    /// <summary>The message itself, or a <see cref="TransportException"/> when the rule loses it (a call has no false to return).</summary>
    private Message Reached(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (!_drop(message)) return message;
        Dropped++;
        throw new TransportException($"message {message.Sender}->{message.Receiver} of round {message.Round} was lost");
    }
}
