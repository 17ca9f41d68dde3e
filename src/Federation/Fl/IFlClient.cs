using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;

namespace NanoFed.Federation.Fl;

/// <summary>
/// A federated-learning client (Flower's <c>Client</c>): it holds only its own state and data, and in each round
/// where it is sampled does its work from the messages it receives: the server's <see cref="RoundContext"/> (round,
/// key of its random streams, instructions) and the method's payload. It sends its replies, and makes its synchronous
/// requests (<see cref="ITransport.Call"/>), through the transport it is given, so it can live in another process.
/// </summary>
public interface IFlClient
{
    /// <summary>The client's id.</summary>
    int Id { get; }

    /// <summary>
    /// Takes the messages waiting for this client on <paramref name="transport"/> (those of the newest round,
    /// <see cref="RoundContext.Inbox"/>), does the round's work and sends its replies; returns the FLOPs it computed (the simulated clock's share of the device). A client that received no
    /// round context has nothing to do and returns 0.
    /// </summary>
    double Work(ITransport transport);
}

/// <summary>What a device holds of the run: its id, its partition of the training set and the input normalisation.</summary>
/// <param name="Id">Client id (0-based).</param>
/// <param name="Data">The client's training samples.</param>
/// <param name="Normalization">Input normalisation shared by all clients.</param>
public sealed record FlClientData(int Id, ImageDataset Data, Normalization Normalization)
{
    /// <summary>One input image's shape (C, H, W).</summary>
    public int[] InputShape => [Data.Channels, Data.Height, Data.Width];
}
