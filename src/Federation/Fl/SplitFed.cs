using NanoFed.Autograd;
using NanoFed.Federation.SystemModel;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// Vanilla DNN-partitioned FL, SplitFed (specs/ecofed.md method 2; Thapa et al. 2022, "SplitFed: When Federated
/// Learning Meets Split Learning", arXiv 2004.12088, SplitFedV1). The device holds the front, the server one copy of
/// the back per client (each starting from the global back at round start). Per batch, inside the client's turn:
/// device forward, activations (fp32) and labels up, server forward, backward and SGD step on its copy, gradient of
/// the activations (fp32) down, device backward and SGD step; device and server use the same options. With fp32 on
/// the wire the gradient path through the cut is exact, so one client's step equals centralized training of
/// front + back on that batch. At turn end the front goes up with n_k; the server averages fronts and back copies by
/// sample count. The server's per-batch work lies on the client's critical path (<see cref="ClientResult.ServerFlops"/>).
/// </summary>
public sealed class SplitFed : IFlMethod
{
    /// <summary>Name of the gradient of the activations in the server's per-batch reply.</summary>
    public const string GradientName = "activations.grad";

    private readonly SplitModel _model;
    private readonly Tape _deviceTape = new();
    private readonly Tape _serverTape = new();

    /// <summary>Creates SplitFed.</summary>
    /// <param name="createModel">Builds the architecture (called three times: global model, device and server working copies).</param>
    /// <param name="splitIndex">Layers [0, splitIndex) run on the device.</param>
    /// <param name="inputShape">One input image (C, H, W), for the cut shape and FLOP counting.</param>
    /// <param name="options">Local-training options (device and server).</param>
    public SplitFed(Func<Sequential> createModel, int splitIndex, ReadOnlySpan<int> inputShape, FedAvgOptions? options = null)
    {
        Options = options ?? new FedAvgOptions();
        Options.Validate();
        _model = new SplitModel(createModel, splitIndex, inputShape);
    }

    /// <inheritdoc/>
    public string Name => "splitfed";

    /// <summary>The local-training options.</summary>
    public FedAvgOptions Options { get; }

    /// <inheritdoc/>
    public Module GlobalModel => _model.Global;

    /// <inheritdoc/>
    public IReadOnlyList<Message> ConfigureRound(int round, IReadOnlyList<int> clients) => _model.ConfigureRound(round, clients);

    /// <inheritdoc/>
    public ClientResult ClientWork(int round, FlClient client, IReadOnlyList<Message> inbox)
    {
        _model.BeginTurn(round, client, inbox);
        if (client.Data.Count > 0) Train(round, client);
        long images = (long)client.Data.Count * Options.E;
        double device = FlopCounter.TrainingFactor * _model.FrontFlops * images;
        double server = FlopCounter.TrainingFactor * _model.BackFlops * images;
        return new ClientResult([_model.EndTurn(round, client)], device, server);
    }

    private void Train(int round, FlClient client)
    {
        var deviceSgd = LocalTraining.Sgd(_model.Device.Parameters(), Options);
        var serverSgd = LocalTraining.Sgd(_model.Server.Parameters(), Options);
        using var loader = LocalTraining.Loader(client, Options.B);
        for (int epoch = 0; epoch < Options.E; epoch++)
        {
            foreach (var batch in loader.Epoch(epoch))
            {
                deviceSgd.ZeroGrad();
                var activations = _model.Device.Forward(_deviceTape, new Variable(batch.Images));
                var up = client.Transport.Deliver(SplitModel.ActivationsMessage(round, client.Id, activations.Data, batch.Labels));
                var (a, labels) = SplitModel.ReadActivations(up);
                var dA = _model.ServerStep(_serverTape, serverSgd, a, labels, inputGradient: true)!;
                var down = client.Transport.Deliver(new Message(round, Message.Server, client.Id, MessageKind.Gradients,
                    [WireTensor.Dense(GradientName, dA.Shape, dA.Span)]));
                _deviceTape.Backward(activations, Tensor.FromArray(down[GradientName].ToArray(), activations.Shape));
                deviceSgd.Step();
                _deviceTape.Reset();
            }
        }
    }

    /// <inheritdoc/>
    public double Aggregate(int round, IReadOnlyList<Message> replies) => _model.Aggregate(round, replies);
}
