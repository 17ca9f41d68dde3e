using NanoFed.Federation.Transport;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Fl;

/// <summary>
/// The server's side of a federated-learning method (STYLE rule 21, Flower's <c>Strategy</c>): it configures a round
/// (the messages for the sampled clients, each client's <see cref="RoundContext"/> among them), aggregates the replies
/// of the clients that answered, and evaluates the global model. It never sends a byte: the <see cref="FlRunner"/>
/// carries its messages over the transport it was given. A strategy that answers synchronous requests inside a
/// client's turn (split learning) is also an <see cref="IMessageHandler"/>, which the caller registers for
/// <see cref="Message.Server"/> on that transport. The matching client is an <see cref="IFlClient"/>.
/// </summary>
public interface IFlStrategy
{
    /// <summary>Short name for logs and run folders (e.g. "fedavg").</summary>
    string Name { get; }

    /// <summary>The server's current global model.</summary>
    Module GlobalModel { get; }

    /// <summary>The server's messages opening <paramref name="round"/> for its sampled clients.</summary>
    IReadOnlyList<Message> ConfigureRound(FlRound round);

    /// <summary>
    /// Aggregates the round's <paramref name="replies"/> (from the clients that answered) into the global model;
    /// <paramref name="failures"/> lists the sampled clients that did not answer, whose work is left out.
    /// </summary>
    RoundAggregate Aggregate(int round, IReadOnlyList<Message> replies, IReadOnlyList<ClientFailure> failures);

    /// <summary>
    /// Everything the server carries from one round to the next, for its checkpoint (<see cref="FlCheckpoint"/>): by
    /// default the global model's state dict under "model."; a strategy with more state (an auxiliary head, EcoFed's
    /// replay buffer) adds it. Random streams need no entry: every one is keyed by the seed and the round.
    /// </summary>
    IEnumerable<SafeTensor> SaveState() => StrategyState.Save("model.", GlobalModel);

    /// <summary>Restores what <see cref="SaveState"/> saved; throws naming the entry that is missing or does not fit.</summary>
    void LoadState(IReadOnlyDictionary<string, SafeTensor> state) => StrategyState.Load("model.", GlobalModel, state);

    /// <summary>The global model on one of the server's test sets after <paramref name="round"/>.</summary>
    TestMetrics Evaluate(int round, string name, ImageDataset data, Normalization normalization) =>
        Evaluator.Evaluate(GlobalModel, data, normalization, name);
}

/// <summary>A round as the runner opens it.</summary>
/// <param name="Round">The round (1-based).</param>
/// <param name="Clients">The sampled clients, in ascending order.</param>
/// <param name="Seed">The run's seed, the key of every random stream of the round.</param>
public sealed record FlRound(int Round, IReadOnlyList<int> Clients, ulong Seed);

/// <summary>A sampled client that did not answer in a round.</summary>
/// <param name="Client">The client id.</param>
/// <param name="Reason">Why (the exception's message).</param>
public sealed record ClientFailure(int Client, string Reason);

/// <summary>What an aggregation cost the server, for the simulated clock.</summary>
/// <param name="Flops">FLOPs of the aggregation itself (after every client's turn).</param>
/// <param name="TurnFlops">FLOPs the server computed inside each client's turn (split learning's per-batch work), by
/// client; they lie on that client's critical path. Empty when the server works only in the aggregation.</param>
public sealed record RoundAggregate(double Flops, IReadOnlyDictionary<int, double> TurnFlops)
{
    /// <summary>An aggregation of <paramref name="flops"/> with no server work inside the clients' turns.</summary>
    public static RoundAggregate Of(double flops) => new(flops, new Dictionary<int, double>());
}
