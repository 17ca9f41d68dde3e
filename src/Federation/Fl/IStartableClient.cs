using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Fl;

/// <summary>
/// A client whose turn can start before the runner takes it: a device in another process. When the method's clients
/// make no calls to the server (the strategy is not an <see cref="IMessageHandler"/>: FedAvg, EcoFed), the
/// runner starts every sampled client's turn at once, so devices train side by side as they would on their own
/// machines, and then takes each turn's result with <see cref="IFlClient.Work"/> in ascending id, as it always does.
/// Clients of one process share a working model, so only clients that live elsewhere implement this.
/// </summary>
public interface IStartableClient : IFlClient
{
    /// <summary>Starts this round's turn; its result (or its failure) is what the next <see cref="IFlClient.Work"/> returns (or throws).</summary>
    void Start(ITransport transport);
}
