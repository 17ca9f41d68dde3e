namespace NanoFed.Federation.Transport;

/// <summary>
/// Moves messages between nodes: the one message stack of every method (federated rounds, gossip, consensus rounds).
/// Every message is serialized by <see cref="WireFormat"/> and recorded in a ledger by the transport that carries it;
/// what a receiver gets is what the bytes say. Messages to one receiver arrive in the order they were sent. An
/// implementation is passed to the runner that uses it, never created by one: the in-process simulation and a
/// deployment over a network differ only in this object.
/// </summary>
public interface ITransport
{
    /// <summary>
    /// Sends <paramref name="message"/> to its receiver's queue. Returns false when the receiver could not be reached
    /// (a peer that is down, a message lost by an injected fault): the message was not delivered and the sender still
    /// holds what it meant to give away (push-sum keeps an undelivered share, so the total mass is conserved).
    /// </summary>
    bool Send(Message message);

    /// <summary>Takes the oldest message waiting for <paramref name="node"/>; false if there is none.</summary>
    bool TryReceive(int node, out Message? message);

    /// <summary>Takes every message waiting for <paramref name="node"/>, oldest first.</summary>
    IReadOnlyList<Message> ReceiveAll(int node);

    /// <summary>
    /// A synchronous exchange: <paramref name="request"/> goes to the <see cref="IMessageHandler"/> registered for its
    /// receiver, and the handler's reply comes back (split learning's per-batch activations up and gradients down).
    /// Both messages are serialized and accounted like <see cref="Send"/>. Throws
    /// <see cref="TransportException"/> when the receiver has no handler or cannot be reached.
    /// </summary>
    Message Call(Message request);
}

/// <summary>Answers the synchronous requests (<see cref="ITransport.Call"/>) addressed to one node.</summary>
public interface IMessageHandler
{
    /// <summary>Handles <paramref name="request"/> and returns the reply, addressed to the request's sender.</summary>
    Message Handle(Message request);
}

/// <summary>A message could not be carried: no handler at the receiver, the receiver unreachable, a deadline passed.</summary>
public sealed class TransportException(string message, Exception? inner = null) : Exception(message, inner);
