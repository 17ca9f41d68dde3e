using NanoFed.Autograd;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Checkpoints;
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
/// <param name="Nesterov">Nesterov momentum (device and server).</param>
public sealed record FedGktOptions(int E = 1, int B = 32, double Lr = 0.05, double Momentum = 0.9, double WeightDecay = 0,
    double Temperature = 3, int ServerEpochs = 1, bool Nesterov = false)
{
    /// <summary>The learning rate over rounds (device and server), as <see cref="FedAvgOptions.Schedule"/>.</summary>
    public Nets.Optim.ILrSchedule? Schedule { get; init; }

    /// <summary>The local-training part as <see cref="FedAvgOptions"/>.</summary>
    public FedAvgOptions Local => new(E, B, Lr, Momentum, WeightDecay, Nesterov) { Schedule = Schedule };

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
/// Transfer: Federated Learning of Large CNNs at the Edge", arXiv 2007.14513, Eqs. 4–7), server side; the device is
/// <see cref="FedGktClient"/>. As in <see cref="LocalLoss"/>, the device trains front + auxiliary head, here on
/// CE + T²·KL(device ‖ server logits of that sample) once it holds server logits. After local training it calls the
/// server with the features (activations at the cut) of all its data and their labels, batch by batch (each answered
/// by an acknowledgement), then with its logits; on these this handler trains the client's copy of the back (one per
/// client, starting from the global back) for <see cref="FedGktOptions.ServerEpochs"/> epochs on
/// CE + T²·KL(server ‖ device logits) and answers with its logits for every sample, which the device keeps for its
/// next turn. The server's shuffles draw from the client's stream of the round, after the three words the device's
/// shuffle took (the server derives it from the run's seed, as the client does from its round context). Front and
/// head are averaged by sample count each round, and so are the back copies. Feature and logit passes run in
/// evaluation mode without gradients; all the server's work lies on the client's critical path.
/// </summary>
public sealed class FedGkt : IFlStrategy, IMessageHandler, IRedoableTurns
{
    /// <summary>Name of the device's logits in its upload.</summary>
    public const string DeviceLogitsName = "device.logits";

    /// <summary>Name of the server's logits in its reply.</summary>
    public const string ServerLogitsName = "server.logits";

    private readonly SplitServer _server;
    private readonly FedAvgOptions _local;
    private readonly int _classes;
    private readonly Tape _tape = new();
    private readonly Dictionary<int, (List<float> Features, List<int> Labels)> _transfers = [];
    private ulong _seed;

    /// <summary>Creates FedGKT's server.</summary>
    /// <param name="createModel">Builds the architecture (the global model, and each server copy of the back).</param>
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
        _server = new SplitServer(createModel, splitIndex, inputShape, classes, seed);
    }

    /// <inheritdoc/>
    public string Name => "fedgkt";

    /// <summary>The options.</summary>
    public FedGktOptions Options { get; }

    /// <inheritdoc/>
    public Module GlobalModel => _server.Global;

    /// <summary>The global auxiliary head (averaged each round; not part of <see cref="GlobalModel"/>).</summary>
    public Module Head => _server.GlobalHead!;

    /// <summary>The global model and the global head.</summary>
    public IEnumerable<SafeTensor> SaveState() => _server.SaveState();

    /// <inheritdoc/>
    public void LoadState(IReadOnlyDictionary<string, SafeTensor> state) => _server.LoadState(state);

    private float Temperature => (float)Options.Temperature;

    private int CutElements => SplitModel.Elements(_server.CutShape);

    /// <inheritdoc/>
    public IReadOnlyList<Message> ConfigureRound(FlRound round)
    {
        ArgumentNullException.ThrowIfNull(round);
        _seed = round.Seed;
        _transfers.Clear();
        return _server.Configure(round, [.. _local.ToInstructions(round.Round), (Instructions.Temperature, Options.Temperature)]);
    }

    /// <summary>A batch of features (acknowledged), or a client's logits (answered with the server's, after training its copy).</summary>
    public Message Handle(Message request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Kind == MessageKind.Activations)
        {
            var (a, labels) = SplitModel.ReadActivations(request);
            if (!_transfers.TryGetValue(request.Sender, out var transfer)) _transfers[request.Sender] = transfer = ([], []);
            transfer.Features.AddRange(a.Span);
            transfer.Labels.AddRange(labels);
            return SplitModel.Acknowledgement(request);
        }
        if (request.Kind != MessageKind.Logits || !_transfers.Remove(request.Sender, out var received))
            throw new ArgumentException($"{request}: FedGKT's server expects features, then the device's logits", nameof(request));
        int n = received.Labels.Count;
        var deviceLogits = request[DeviceLogitsName];
        if (deviceLogits.Shape != new Shape(n, _classes)) throw new ArgumentException($"{request}: logits of shape {deviceLogits.Shape} for {n} samples", nameof(request));
        var features = received.Features.ToArray();
        var copy = _server.Copy(request, _local.InRound(request.Round));
        Train(copy, request, features, [.. received.Labels], deviceLogits.ToArray());
        return new Message(request.Round, Message.Server, request.Sender, MessageKind.Logits,
            [WireTensor.Dense(ServerLogitsName, new Shape(n, _classes), Logits(copy.Model, features, n))]);
    }

    /// <summary>Drops the features the client's lost turn sent and the copy of the back its logits trained.</summary>
    public void ForgetTurn(int client)
    {
        _transfers.Remove(client);
        _server.Forget(client);
    }

    /// <inheritdoc/>
    public RoundAggregate Aggregate(int round, IReadOnlyList<Message> replies, IReadOnlyList<ClientFailure> failures)
    {
        _transfers.Clear();
        return _server.Aggregate(round, replies, n => (FlopCounter.TrainingFactor * Options.ServerEpochs + 1) * _server.BackFlops * n);
    }

    /// <summary>The client's copy trained on its features with CE + T²·KL(server ‖ device logits), in batches shuffled from the client's stream.</summary>
    private void Train((Sequential Model, Nets.Optim.Sgd Sgd) copy, Message request, float[] features, int[] labels, float[] deviceLogits)
    {
        int n = labels.Length;
        var rng = RoundContext.Stream(_seed, request.Round, request.Sender);
        for (int skip = 0; skip < 3; skip++) rng.NextUInt32();
        for (int epoch = 0; epoch < Options.ServerEpochs; epoch++)
        {
            var order = rng.Permutation(n);
            for (int start = 0; start < n; start += _local.B)
            {
                var rows = order.AsSpan(start, Math.Min(_local.B, n - start));
                var x = Gather(features, rows, CutElements, BatchShape(rows.Length));
                var teacher = Gather(deviceLogits, rows, _classes, new Shape(rows.Length, _classes));
                var y = new int[rows.Length];
                for (int i = 0; i < rows.Length; i++) y[i] = labels[rows[i]];
                SplitServer.Step(_tape, copy, x, y, inputGradient: false, teacher, Temperature);
            }
        }
    }

    /// <summary>The copy's logits (evaluation mode) for every sample, in order.</summary>
    private float[] Logits(Sequential model, float[] features, int n)
    {
        var logits = new float[n * _classes];
        model.Eval();
        using (_tape.NoGrad())
            for (int start = 0; start < n; start += _local.B)
            {
                int count = Math.Min(_local.B, n - start);
                var x = Tensor.FromArray(features.AsSpan(start * CutElements, count * CutElements).ToArray(), BatchShape(count));
                model.Forward(_tape, new Variable(x)).Data.Span.CopyTo(logits.AsSpan(start * _classes));
                _tape.Reset();
            }
        model.Train();
        return logits;
    }

    private Shape BatchShape(int count) => new([count, .. _server.CutShape]);

    private static Tensor Gather(float[] source, ReadOnlySpan<int> rows, int rowLength, Shape shape)
    {
        var values = new float[rows.Length * rowLength];
        SplitModel.GatherRows(source, rows, values);
        return Tensor.FromArray(values, shape);
    }
}
