using NanoFed.Autograd;
using NanoFed.Federation.SystemModel;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>Local-training hyper-parameters of <see cref="FedAvg"/> (McMahan et al. 2017: E, B, η; plus momentum).</summary>
/// <param name="E">Local epochs per round.</param>
/// <param name="B">Local mini-batch size.</param>
/// <param name="Lr">SGD learning rate η.</param>
/// <param name="Momentum">SGD momentum (the optimizer state is reset every round).</param>
/// <param name="WeightDecay">L2 weight decay.</param>
public sealed record FedAvgOptions(int E = 1, int B = 32, double Lr = 0.05, double Momentum = 0.9, double WeightDecay = 0)
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        if (E <= 0) throw new ArgumentException($"E (local epochs) must be positive, got {E}");
        if (B <= 0) throw new ArgumentException($"B (batch size) must be positive, got {B}");
        if (!(Lr > 0) || double.IsInfinity(Lr)) throw new ArgumentException($"Lr must be positive and finite, got {Lr}");
        if (!(Momentum >= 0 && Momentum < 1)) throw new ArgumentException($"Momentum must be in [0, 1), got {Momentum}");
        if (!(WeightDecay >= 0) || double.IsInfinity(WeightDecay)) throw new ArgumentException($"WeightDecay must be finite and non-negative, got {WeightDecay}");
    }
}

/// <summary>
/// Federated averaging, McMahan et al. 2017, "Communication-Efficient Learning of Deep Networks from Decentralized
/// Data" (arXiv 1602.05629, Algorithm 1). Each sampled client k downloads the global weights w_t (a dense Weights
/// message), runs E epochs of mini-batch SGD (batch B, rate η, momentum, optimizer state reset each round) on its
/// n_k samples and uploads w_{t+1}^k with n_k; the server sets w_{t+1} = Σ_k (n_k / n) w_{t+1}^k.
/// The state dict is exchanged and averaged whole: BatchNorm running means, variances and batch counters are averaged
/// with the same weights as the parameters (as Flower's and most FedAvg implementations do with <c>state_dict</c>).
/// </summary>
public sealed class FedAvg : IFlMethod
{
    /// <summary>Name of the extra one-element tensor in a client's reply carrying n_k.</summary>
    public const string SampleCountName = "num_examples";

    private readonly Sequential _global;
    private readonly Sequential _local;
    private readonly Tape _tape = new();

    /// <summary>Creates FedAvg.</summary>
    /// <param name="createModel">Builds the architecture; called twice (global model and the clients' working copy), the
    /// global model's initial weights are copied to the working copy.</param>
    /// <param name="inputShape">One input image (C, H, W), for FLOP counting.</param>
    /// <param name="options">Local-training options.</param>
    public FedAvg(Func<Sequential> createModel, ReadOnlySpan<int> inputShape, FedAvgOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        Options = options ?? new FedAvgOptions();
        Options.Validate();
        _global = createModel();
        _local = createModel();
        ForwardFlopsPerImage = FlopCounter.Forward(_global, inputShape);
        ParameterElements = _global.StateDict().Sum(t => (long)t.Value.Length);
    }

    /// <inheritdoc/>
    public string Name => "fedavg";

    /// <summary>The local-training options.</summary>
    public FedAvgOptions Options { get; }

    /// <inheritdoc/>
    public Module GlobalModel => _global;

    /// <summary>Forward FLOPs of the model for one image.</summary>
    public long ForwardFlopsPerImage { get; }

    /// <summary>Elements in the state dict (parameters and buffers) exchanged each way.</summary>
    public long ParameterElements { get; }

    /// <inheritdoc/>
    public IReadOnlyList<Message> ConfigureRound(int round, IReadOnlyList<int> clients)
    {
        return ModelExchange.Broadcast(round, clients, _global.StateDict());
    }

    /// <inheritdoc/>
    public ClientResult ClientWork(int round, FlClient client, IReadOnlyList<Message> inbox)
    {
        var state = _local.StateDict();
        ModelExchange.Receive(round, client, inbox, state);
        _local.Train();
        // A client with no samples returns the global weights unchanged with n_k = 0 (weight zero in the average).
        if (client.Data.Count > 0) Train(client);
        var reply = ModelExchange.Reply(round, client.Id, state, client.Data.Count);
        double flops = FlopCounter.TrainingFactor * ForwardFlopsPerImage * client.Data.Count * Options.E;
        return new ClientResult([reply], flops);
    }

    private void Train(FlClient client)
    {
        var sgd = LocalTraining.Sgd(_local.Parameters(), Options);
        using var loader = LocalTraining.Loader(client, Options.B);
        for (int epoch = 0; epoch < Options.E; epoch++)
        {
            foreach (var batch in loader.Epoch(epoch))
            {
                sgd.ZeroGrad();
                var logits = _local.Forward(_tape, new Variable(batch.Images));
                var loss = _tape.CrossEntropy(logits, batch.Labels);
                _tape.Backward(loss);
                sgd.Step();
                _tape.Reset();
            }
        }
    }

    /// <inheritdoc/>
    public double Aggregate(int round, IReadOnlyList<Message> replies)
    {
        int clients = ModelExchange.AverageInto(round, replies, _global.StateDict());
        return 2.0 * ParameterElements * clients;
    }
}
