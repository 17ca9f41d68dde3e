namespace NanoFed.Federation.Transport;

/// <summary>Moves messages between nodes. Messages to one receiver arrive in the order they were sent.</summary>
public interface ITransport
{
    /// <summary>Sends <paramref name="message"/> to its receiver.</summary>
    void Send(Message message);

    /// <summary>Takes the oldest message waiting for <paramref name="node"/>; false if there is none.</summary>
    bool TryReceive(int node, out Message? message);

    /// <summary>Takes every message waiting for <paramref name="node"/>, oldest first.</summary>
    IReadOnlyList<Message> ReceiveAll(int node);

    /// <summary>
    /// Sends <paramref name="message"/> and hands it straight to its receiver, bypassing the queue: a synchronous
    /// exchange inside one client's turn (split learning's per-batch activations up and gradients down). The message
    /// is accounted exactly like <see cref="Send"/>; the result is what the receiver gets.
    /// </summary>
    Message Deliver(Message message);
}
