using NanoFed.Federation.Aggregation;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Optim;

namespace NanoFed.Federation.Fl;

/// <summary>
/// Local-training hyper-parameters of <see cref="FedAvg"/> (McMahan et al. 2017: E, B, η; plus momentum). The defaults
/// are those of `nanofed fl` (<see cref="Experiments.FlConfig"/>) and <see cref="EcoFedOptions"/>: E = 1, B = 10, η = 0.01.
/// </summary>
/// <param name="E">Local epochs per round.</param>
/// <param name="B">Local mini-batch size.</param>
/// <param name="Lr">SGD learning rate η.</param>
/// <param name="Momentum">SGD momentum (the optimizer state is reset every round).</param>
/// <param name="WeightDecay">L2 weight decay.</param>
/// <param name="Nesterov">Nesterov momentum.</param>
public sealed record FedAvgOptions(int E = 1, int B = 10, double Lr = 0.01, double Momentum = 0.9, double WeightDecay = 0, bool Nesterov = false)
{
    /// <summary>The learning rate over rounds: round r (1-based) trains at LrAt(r − 1); null for <see cref="Lr"/> in every round.</summary>
    public ILrSchedule? Schedule { get; init; }

    /// <summary>The options round <paramref name="round"/> (1-based) trains with: <see cref="Lr"/> from the schedule.</summary>
    public FedAvgOptions InRound(int round) => Schedule is null ? this : this with { Lr = Schedule.LrAt(round - 1), Schedule = null };

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (E <= 0) throw new ArgumentException($"E (local epochs) must be positive, got {E}");
        if (B <= 0) throw new ArgumentException($"B (batch size) must be positive, got {B}");
        if (!(Lr > 0) || double.IsInfinity(Lr)) throw new ArgumentException($"Lr must be positive and finite, got {Lr}");
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentException($"Momentum must be in [0, 1), got {Momentum}");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentException($"WeightDecay must be finite and non-negative, got {WeightDecay}");
        if (Nesterov && Momentum == 0) throw new ArgumentException("Nesterov needs Momentum above 0");
    }

    /// <summary>
    /// The options of round <paramref name="round"/> as its contexts' instructions. Nesterov is sent only when on, so a
    /// run without it sends the bytes it always did.
    /// </summary>
    public IReadOnlyList<(string Name, double Value)> ToInstructions(int round)
    {
        var o = InRound(round);
        return [(Instructions.Epochs, o.E), (Instructions.Batch, o.B), (Instructions.Lr, o.Lr), (Instructions.Momentum, o.Momentum), (Instructions.WeightDecay, o.WeightDecay),
            .. o.Nesterov ? [(Instructions.Nesterov, 1.0)] : Array.Empty<(string, double)>()];
    }

    /// <summary>The options a client reads from its round context (validated).</summary>
    public static FedAvgOptions From(RoundContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = new FedAvgOptions(context.Integer(Instructions.Epochs), context.Integer(Instructions.Batch), context[Instructions.Lr],
            context[Instructions.Momentum], context[Instructions.WeightDecay], context.Flag(Instructions.Nesterov));
        options.Validate();
        return options;
    }
}

/// <summary>
/// Federated averaging, McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from Decentralized
/// Data" (arXiv 1602.05629, Algorithm 1), server side; the client is <see cref="FedAvgClient"/>. Each sampled client
/// k receives its round context (E, B, η, momentum) and the global weights w_t (a dense Weights message), and replies
/// with w_{t+1}^k and n_k; the server sets w_{t+1} = Σ_k (n_k / n) w_{t+1}^k over the clients that answered.
/// The state dict is exchanged and averaged whole: BatchNorm running means, variances and batch counters are averaged
/// with the same weights as the parameters (as Flower's and most FedAvg implementations do with <c>state_dict</c>).
/// </summary>
public sealed class FedAvg : IFlStrategy
{
    /// <summary>Name of the extra one-element tensor in a client's reply carrying n_k.</summary>
    public const string SampleCountName = "num_examples";

    private readonly Sequential _global;

    /// <summary>Creates FedAvg's server.</summary>
    /// <param name="createModel">Builds the architecture of the global model.</param>
    /// <param name="inputShape">One input image (C, H, W), for FLOP counting.</param>
    /// <param name="options">Local-training options, sent to the clients in their round context.</param>
    public FedAvg(Func<Sequential> createModel, ReadOnlySpan<int> inputShape, FedAvgOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        Options = options ?? new FedAvgOptions();
        Options.Validate();
        _global = createModel();
        ForwardFlopsPerImage = FlopCounter.Forward(_global, inputShape);
        ParameterElements = _global.StateDict().Sum(t => (long)t.Value.Length);
    }

    /// <inheritdoc/>
    public string Name => "fedavg";

    /// <summary>The local-training options.</summary>
    public FedAvgOptions Options { get; }

    /// <summary>How the clients' models are combined: FedAvg's sample-weighted mean unless a robust rule is given.</summary>
    public IAggregator Aggregator { get; init; } = Aggregators.Mean;

    /// <inheritdoc/>
    public Module GlobalModel => _global;

    /// <summary>Forward FLOPs of the model for one image.</summary>
    public long ForwardFlopsPerImage { get; }

    /// <summary>Elements in the state dict (parameters and buffers) exchanged each way.</summary>
    public long ParameterElements { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Message> ConfigureRound(FlRound round) => ModelExchange.Broadcast(round, Options.ToInstructions(round.Round), _global.StateDict());

    /// <inheritdoc/>
    public RoundAggregate Aggregate(int round, IReadOnlyList<Message> replies, IReadOnlyList<ClientFailure> failures)
    {
        int clients = ModelExchange.AverageInto(round, replies, _global.StateDict(), Aggregator);
        return RoundAggregate.Of(2.0 * ParameterElements * clients);
    }
}
