using NanoFed.Autograd;
using NanoFed.Federation.SystemModel;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>Options of <see cref="FedGkt"/>: the local-training options of <see cref="FedAvgOptions"/> (same defaults), plus distillation.</summary>
/// <param name="E">Device epochs per round.</param>
/// <param name="B">Mini-batch size (device and server).</param>
/// <param name="Lr">SGD learning rate (device and server).</param>
/// <param name="Momentum">SGD momentum (state reset every round).</param>
/// <param name="WeightDecay">L2 weight decay.</param>
/// <param name="Temperature">Distillation temperature T (the KL term is scaled by T²).</param>
/// <param name="ServerEpochs">Epochs the server trains its copy on a client's transferred features.</param>
public sealed record FedGktOptions(int E = 1, int B = 32, double Lr = 0.05, double Momentum = 0.9, double WeightDecay = 0,
    double Temperature = 3, int ServerEpochs = 1)
{
    /// <summary>The local-training part as <see cref="FedAvgOptions"/>.</summary>
    public FedAvgOptions Local => new(E, B, Lr, Momentum, WeightDecay);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        Local.Validate();
        if (!(Temperature > 0) || double.IsInfinity(Temperature)) throw new ArgumentException($"Temperature must be positive and finite, got {Temperature}");
        if (ServerEpochs <= 0) throw new ArgumentException($"ServerEpochs must be positive, got {ServerEpochs}");
    }
}

/// <summary>
/// FedGKT, group knowledge transfer (specs/ecofed.md method 4; He, Annavaram and Avestimehr 2020, "Group Knowledge
/// Transfer: Federated Learning of Large CNNs at the Edge", arXiv 2007.14513, Eqs. 4–7). As <see cref="LocalLoss"/>,
/// the device trains front + auxiliary head, here on CE + T²·KL(device ‖ server logits of that sample) once it holds
/// server logits (its first turn is CE only). After local training it sends the features (activations at the cut)
/// of all its data with their labels, then its logits; the server trains its copy of the back (one per client,
/// starting from the global back) for <see cref="FedGktOptions.ServerEpochs"/> epochs on CE + T²·KL(server ‖ device
/// logits) and returns its logits for every sample, which the device keeps for its next turn (state kept here per
/// client id). Front and head are averaged by sample count each round, and so are the back copies. Feature and
/// logit passes run in evaluation mode without gradients; all the server's work lies on the client's critical path.
/// </summary>
public sealed class FedGkt : IFlMethod
{
    /// <summary>Name of the device's logits in its upload.</summary>
    public const string DeviceLogitsName = "device.logits";

    /// <summary>Name of the server's logits in its reply.</summary>
    public const string ServerLogitsName = "server.logits";

    private readonly SplitModel _model;
    private readonly FedAvgOptions _local;
    private readonly int _classes;
    private readonly Tape _deviceTape = new();
    private readonly Tape _serverTape = new();
    private readonly Dictionary<int, float[]> _serverLogits = [];

    /// <summary>Creates FedGKT.</summary>
    /// <param name="createModel">Builds the architecture (called three times: global model, device and server working copies).</param>
    /// <param name="splitIndex">Layers [0, splitIndex) run on the device.</param>
    /// <param name="inputShape">One input image (C, H, W), for the cut shape and FLOP counting.</param>
    /// <param name="classes">Classes of the auxiliary head and of the model.</param>
    /// <param name="seed">Seed of the head's initialisation.</param>
    /// <param name="options">Training and distillation options.</param>
    public FedGkt(Func<Sequential> createModel, int splitIndex, ReadOnlySpan<int> inputShape, int classes, ulong seed, FedGktOptions? options = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        Options = options ?? new FedGktOptions();
        Options.Validate();
        _local = Options.Local;
        _classes = classes;
        _model = new SplitModel(createModel, splitIndex, inputShape, classes, seed);
    }

    /// <inheritdoc/>
    public string Name => "fedgkt";

    /// <summary>The options.</summary>
    public FedGktOptions Options { get; }

    /// <inheritdoc/>
    public Module GlobalModel => _model.Global;

    /// <summary>The global auxiliary head (averaged each round; not part of <see cref="GlobalModel"/>).</summary>
    public Module Head => _model.GlobalHead!;

    private float Temperature => (float)Options.Temperature;

    /// <inheritdoc/>
    public IReadOnlyList<Message> ConfigureRound(int round, IReadOnlyList<int> clients) => _model.ConfigureRound(round, clients);

    /// <inheritdoc/>
    public ClientResult ClientWork(int round, FlClient client, IReadOnlyList<Message> inbox)
    {
        _model.BeginTurn(round, client, inbox);
        int n = client.Data.Count;
        if (n > 0)
        {
            LocalLoss.TrainDevice(_model, _deviceTape, client, _local, _serverLogits.GetValueOrDefault(client.Id), Temperature, onBatch: null);
            var (features, labels, deviceLogits) = Transfer(round, client);
            TrainServer(client, features, labels, deviceLogits);
            var down = client.Transport.Deliver(new Message(round, Message.Server, client.Id, MessageKind.Logits,
                [WireTensor.Dense(ServerLogitsName, new Shape(n, _classes), ServerLogits(features, n))]));
            _serverLogits[client.Id] = down[ServerLogitsName].ToArray();
        }
        double device = (FlopCounter.TrainingFactor * Options.E + 1) * (_model.FrontFlops + _model.HeadFlops) * n;
        double server = (FlopCounter.TrainingFactor * Options.ServerEpochs + 1) * _model.BackFlops * n;
        return new ClientResult([_model.EndTurn(round, client)], device, server);
    }

    /// <inheritdoc/>
    public double Aggregate(int round, IReadOnlyList<Message> replies) => _model.Aggregate(round, replies);

    /// <summary>
    /// The device's evaluation pass over its data in order: each batch's features and labels go up, then all its
    /// logits. Returns what the server received: features (n × cut), labels, device logits (n × classes).
    /// </summary>
    private (float[] Features, int[] Labels, float[] DeviceLogits) Transfer(int round, FlClient client)
    {
        int n = client.Data.Count, cut = CutElements;
        var features = new float[n * cut];
        var labels = new int[n];
        var logits = new float[n * _classes];
        var head = _model.DeviceHead!;
        _model.Device.Eval();
        head.Eval();
        using (_deviceTape.NoGrad())
        using (var loader = LocalTraining.InOrder(client, _local.B))
            foreach (var batch in loader.Epoch(0))
            {
                int start = batch.Index * _local.B;
                var a = _model.Device.Forward(_deviceTape, new Variable(batch.Images));
                head.Forward(_deviceTape, a).Data.Span.CopyTo(logits.AsSpan(start * _classes));
                var up = client.Transport.Deliver(SplitModel.ActivationsMessage(round, client.Id, a.Data, batch.Labels));
                var (received, y) = SplitModel.ReadActivations(up);
                received.Span.CopyTo(features.AsSpan(start * cut));
                y.CopyTo(labels, start);
                _deviceTape.Reset();
            }
        _model.Device.Train();
        head.Train();
        var logitsUp = client.Transport.Deliver(new Message(round, client.Id, Message.Server, MessageKind.Logits,
            [WireTensor.Dense(DeviceLogitsName, new Shape(n, _classes), logits)]));
        return (features, labels, logitsUp[DeviceLogitsName].ToArray());
    }

    /// <summary>The server's copy trained on the client's features with CE + T²·KL(server ‖ device logits), in batches shuffled from the client's stream.</summary>
    private void TrainServer(FlClient client, float[] features, int[] labels, float[] deviceLogits)
    {
        int n = labels.Length;
        var sgd = LocalTraining.Sgd(_model.Server.Parameters(), _local);
        for (int epoch = 0; epoch < Options.ServerEpochs; epoch++)
        {
            var order = client.Rng.Permutation(n);
            for (int start = 0; start < n; start += _local.B)
            {
                var rows = order.AsSpan(start, Math.Min(_local.B, n - start));
                var x = Gather(features, rows, CutElements, BatchShape(rows.Length));
                var teacher = Gather(deviceLogits, rows, _classes, new Shape(rows.Length, _classes));
                var y = new int[rows.Length];
                for (int i = 0; i < rows.Length; i++) y[i] = labels[rows[i]];
                _model.ServerStep(_serverTape, sgd, x, y, inputGradient: false, teacher, Temperature);
            }
        }
    }

    /// <summary>The server copy's logits (evaluation mode) for every sample, in order.</summary>
    private float[] ServerLogits(float[] features, int n)
    {
        var logits = new float[n * _classes];
        _model.Server.Eval();
        using (_serverTape.NoGrad())
            for (int start = 0; start < n; start += _local.B)
            {
                int count = Math.Min(_local.B, n - start);
                var x = Tensor.FromArray(features.AsSpan(start * CutElements, count * CutElements).ToArray(), BatchShape(count));
                _model.Server.Forward(_serverTape, new Variable(x)).Data.Span.CopyTo(logits.AsSpan(start * _classes));
                _serverTape.Reset();
            }
        _model.Server.Train();
        return logits;
    }

    private int CutElements => _model.CutShape.Aggregate(1, (a, b) => a * b);

    private Shape BatchShape(int count) => new([count, .. _model.CutShape]);

    private static Tensor Gather(float[] source, ReadOnlySpan<int> rows, int rowLength, Shape shape)
    {
        var values = new float[rows.Length * rowLength];
        SplitModel.GatherRows(source, rows, values);
        return Tensor.FromArray(values, shape);
    }
}
