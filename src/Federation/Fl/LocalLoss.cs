using NanoFed.Autograd;
using NanoFed.Federation.SystemModel;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// Local-loss DNN-partitioned FL (specs/ecofed.md method 3; Han et al. 2021, "Accelerating Federated Learning with
/// Split Learning on Locally Generated Losses"; the EcoFed paper's baseline, arXiv 2304.05495). The device trains its
/// front with an auxiliary head (flatten + one linear layer from the cut to the classes) on its own cross-entropy, so
/// it never waits for the server: each batch's activations at the cut go up in fp32 with their labels, nothing comes
/// down per batch, and the server trains its copy of the back (one per client, starting from the global back) on
/// them with the same SGD settings. Front and head go down at round start and up at turn end; the server averages
/// fronts, heads and back copies by sample count. The server's training is counted on the client's critical path
/// (<see cref="ClientResult.ServerFlops"/>): it must finish before aggregation, and overlapping it with the device is
/// an optimisation this clock does not credit.
/// </summary>
public sealed class LocalLoss : IFlMethod
{
    private readonly SplitModel _model;
    private readonly Tape _deviceTape = new();
    private readonly Tape _serverTape = new();

    /// <summary>Creates local-loss DPFL.</summary>
    /// <param name="createModel">Builds the architecture (called three times: global model, device and server working copies).</param>
    /// <param name="splitIndex">Layers [0, splitIndex) run on the device.</param>
    /// <param name="inputShape">One input image (C, H, W), for the cut shape and FLOP counting.</param>
    /// <param name="classes">Classes of the auxiliary head.</param>
    /// <param name="seed">Seed of the head's initialisation.</param>
    /// <param name="options">Local-training options (device and server).</param>
    public LocalLoss(Func<Sequential> createModel, int splitIndex, ReadOnlySpan<int> inputShape, int classes, ulong seed, FedAvgOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        Options = options ?? new FedAvgOptions();
        Options.Validate();
        _model = new SplitModel(createModel, splitIndex, inputShape, classes, seed);
    }

    /// <inheritdoc/>
    public string Name => "localloss";

    /// <summary>The local-training options.</summary>
    public FedAvgOptions Options { get; }

    /// <inheritdoc/>
    public Module GlobalModel => _model.Global;

    /// <summary>The global auxiliary head (averaged each round; not part of <see cref="GlobalModel"/>).</summary>
    public Module Head => _model.GlobalHead!;

    /// <inheritdoc/>
    public IReadOnlyList<Message> ConfigureRound(int round, IReadOnlyList<int> clients) => _model.ConfigureRound(round, clients);

    /// <inheritdoc/>
    public ClientResult ClientWork(int round, FlClient client, IReadOnlyList<Message> inbox)
    {
        _model.BeginTurn(round, client, inbox);
        if (client.Data.Count > 0)
        {
            var serverSgd = LocalTraining.Sgd(_model.Server.Parameters(), Options);
            TrainDevice(_model, _deviceTape, client, Options, teacher: null, temperature: 1, (activations, labels) =>
            {
                var up = client.Transport.Deliver(SplitModel.ActivationsMessage(round, client.Id, activations, labels));
                var (a, y) = SplitModel.ReadActivations(up);
                _model.ServerStep(_serverTape, serverSgd, a, y, inputGradient: false);
            });
        }
        long images = (long)client.Data.Count * Options.E;
        double device = FlopCounter.TrainingFactor * (_model.FrontFlops + _model.HeadFlops) * images;
        double server = FlopCounter.TrainingFactor * _model.BackFlops * images;
        return new ClientResult([_model.EndTurn(round, client)], device, server);
    }

    /// <inheritdoc/>
    public double Aggregate(int round, IReadOnlyList<Message> replies) => _model.Aggregate(round, replies);

    /// <summary>
    /// E epochs of SGD on the device's front and head with cross-entropy, plus distillation towards
    /// <paramref name="teacher"/> (one row of logits per sample of the client's data, by index) when given. After
    /// each step <paramref name="onBatch"/> sees the batch's activations at the cut (valid during the call) and labels.
    /// </summary>
    internal static void TrainDevice(SplitModel model, Tape tape, FlClient client, FedAvgOptions options, float[]? teacher, float temperature,
        Action<Tensor, int[]>? onBatch)
    {
        var head = model.DeviceHead!;
        var sgd = LocalTraining.Sgd([.. model.Device.Parameters(), .. head.Parameters()], options);
        using var loader = LocalTraining.Loader(client, options.B);
        for (int epoch = 0; epoch < options.E; epoch++)
        {
            int[]? order = teacher is null ? null : loader.Order(epoch);
            foreach (var batch in loader.Epoch(epoch))
            {
                sgd.ZeroGrad();
                var activations = model.Device.Forward(tape, new Variable(batch.Images));
                var logits = head.Forward(tape, activations);
                var rows = order is null ? null : Rows(tape, teacher!, order.AsSpan(batch.Index * options.B, batch.Count), logits.Shape);
                tape.Backward(SplitModel.Loss(tape, logits, batch.Labels, rows, temperature));
                sgd.Step();
                onBatch?.Invoke(activations.Data, batch.Labels);
                tape.Reset();
            }
        }
    }

    private static Tensor Rows(Tape tape, float[] logits, ReadOnlySpan<int> samples, Shape shape)
    {
        var rows = tape.Scratch(shape, zero: false);
        SplitModel.GatherRows(logits, samples, rows.Span);
        return rows;
    }
}
