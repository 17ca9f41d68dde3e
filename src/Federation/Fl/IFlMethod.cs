using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// A federated-learning method as a small object (STYLE rule 21, Flower's <c>Strategy</c>): the server configures a
/// round (messages to the sampled clients), each client does its work on its own data (replies), and the server
/// aggregates the replies. The <see cref="FlRunner"/> owns transport, ledger, clock and sampling.
/// </summary>
public interface IFlMethod
{
    /// <summary>Short name for logs and run folders (e.g. "fedavg").</summary>
    string Name { get; }

    /// <summary>The server's current global model, which the runner evaluates after every round.</summary>
    Module GlobalModel { get; }

    /// <summary>The server's messages opening round <paramref name="round"/> for the sampled <paramref name="clients"/>.</summary>
    IReadOnlyList<Message> ConfigureRound(int round, IReadOnlyList<int> clients);

    /// <summary>One sampled client's work on the messages it received; returns its replies and the FLOPs it computed.</summary>
    ClientResult ClientWork(int round, FlClient client, IReadOnlyList<Message> inbox);

    /// <summary>The server's aggregation of the round's replies into the global model; returns the server FLOPs it took.</summary>
    double Aggregate(int round, IReadOnlyList<Message> replies);
}

/// <summary>What a client's work produced: messages for the transport and the FLOPs it spent.</summary>
/// <param name="Replies">Messages the client sends at the end of its turn.</param>
/// <param name="Flops">FLOPs computed on the device.</param>
/// <param name="ServerFlops">FLOPs the server computed inside the client's turn (split learning's per-batch server
/// forward and backward), which lie on that client's critical path.</param>
public sealed record ClientResult(IReadOnlyList<Message> Replies, double Flops, double ServerFlops = 0);

/// <summary>A client as the runner hands it to a method: its id, its local data and its random stream for the round.</summary>
/// <param name="Id">Client id (0-based).</param>
/// <param name="Data">The client's partition of the training set.</param>
/// <param name="Normalization">Input normalisation shared by all clients.</param>
/// <param name="Rng">Stream keyed by (seed, round, client); the only source of randomness for the client's work.</param>
/// <param name="Transport">The round's transport, for exchanges inside the client's turn (<see cref="ITransport.Deliver"/>).</param>
public sealed record FlClient(int Id, ImageDataset Data, Normalization Normalization, RngStream Rng, ITransport Transport);
