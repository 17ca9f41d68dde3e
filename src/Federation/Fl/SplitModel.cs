using NanoFed.Autograd;
using NanoFed.Federation.Aggregation;
using NanoFed.Federation.SystemModel;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Optim;

namespace NanoFed.Federation.Fl;

/// <summary>
/// What the DNN-partitioned methods (<see cref="SplitFed"/>, <see cref="LocalLoss"/>, <see cref="FedGkt"/>) share
/// (specs/ecofed.md): a global model cut at a split index into the device part (front) and the server part (back),
/// an optional auxiliary head (flatten + one linear layer from the cut to the classes) on the device, the device's
/// working copy of front and head, and the server's per-client copy of the back.
/// The device part and head go down at round start and up (with n_k) at the client's turn end; the server copy of
/// each client starts from the global back and is kept at its turn end; the round's aggregation averages the device
/// parts and heads, and the server copies, each by sample count into the global model. The server works on one
/// copy at a time (clients take their turns in order) and keeps a snapshot of each until the aggregation, so it holds
/// K back parts per round, as a real server holding K copies would.
/// </summary>
internal sealed class SplitModel
{
    /// <summary>Name of the activations at the cut in a message.</summary>
    public const string ActivationsName = "activations";

    /// <summary>Name of the labels in a message.</summary>
    public const string LabelsName = "labels";

    private readonly List<(int Client, double Samples, List<(string Name, Tensor Value)> State)> _serverCopies = [];

    /// <summary>Builds the global model and the working copies (three calls to <paramref name="createModel"/>).</summary>
    /// <param name="createModel">Builds the architecture.</param>
    /// <param name="splitIndex">Layers [0, splitIndex) run on the device, the rest on the server.</param>
    /// <param name="inputShape">One input image (C, H, W).</param>
    /// <param name="classes">Classes of the auxiliary head; 0 for none.</param>
    /// <param name="seed">Seed of the head's initialisation: RngStream(seed, <see cref="HeadStream"/>).</param>
    public SplitModel(Func<Sequential> createModel, int splitIndex, ReadOnlySpan<int> inputShape, int classes = 0, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        Global = createModel();
        if (splitIndex <= 0 || splitIndex >= Global.Count)
            throw new ArgumentOutOfRangeException(nameof(splitIndex), splitIndex, $"split index must leave layers on both sides, in [1, {Global.Count - 1}]");
        (Front, Back) = Global.Split(splitIndex);
        Device = createModel().Split(splitIndex).Front;
        Server = createModel().Split(splitIndex).Back;
        CutShape = FlopCounter.OutputShape(Front, inputShape);
        FrontFlops = FlopCounter.Forward(Front, inputShape);
        BackFlops = FlopCounter.Forward(Back, CutShape);
        if (classes > 0)
        {
            GlobalHead = Head(CutShape, classes, seed);
            DeviceHead = Head(CutShape, classes, seed);
            HeadFlops = FlopCounter.Forward(GlobalHead, CutShape);
            int outputs = FlopCounter.OutputShape(Back, CutShape)[0];
            if (outputs != classes) throw new ArgumentException($"the model has {outputs} outputs but {classes} classes were given", nameof(classes));
            var clash = GlobalHead.StateDict().Select(t => t.Name).Intersect(Front.StateDict().Select(t => t.Name)).FirstOrDefault();
            if (clash is not null) throw new ArgumentException($"the device part already has a tensor named '{clash}', the auxiliary head's name", nameof(createModel));
        }
        DeviceElements = GlobalDeviceState().Sum(t => (long)t.Value.Length);
        BackElements = Back.StateDict().Sum(t => (long)t.Value.Length);
    }

    /// <summary>Stream id of the auxiliary head's initialisation.</summary>
    public const ulong HeadStream = 0x4EAD;

    /// <summary>The global model, front and back in one (what the runner evaluates; the head is not part of it).</summary>
    public Sequential Global { get; }

    /// <summary>The global device part (shares its modules with <see cref="Global"/>).</summary>
    public Sequential Front { get; }

    /// <summary>The global server part (shares its modules with <see cref="Global"/>).</summary>
    public Sequential Back { get; }

    /// <summary>The global auxiliary head, or null.</summary>
    public Sequential? GlobalHead { get; }

    /// <summary>The device's working copy of the front.</summary>
    public Sequential Device { get; }

    /// <summary>The device's working copy of the head, or null.</summary>
    public Sequential? DeviceHead { get; }

    /// <summary>The server's working copy of the back for the client whose turn it is.</summary>
    public Sequential Server { get; }

    /// <summary>One image's activations at the cut (e.g. 128, 8, 8).</summary>
    public int[] CutShape { get; }

    /// <summary>Forward FLOPs per image of the front, back and head.</summary>
    public long FrontFlops { get; }

    /// <inheritdoc cref="FrontFlops"/>
    public long BackFlops { get; }

    /// <inheritdoc cref="FrontFlops"/>
    public long HeadFlops { get; }

    /// <summary>Elements exchanged per device state (front and head, parameters and buffers).</summary>
    public long DeviceElements { get; }

    /// <summary>Elements of the back's state.</summary>
    public long BackElements { get; }

    /// <summary>Round start: clears the previous round's server copies; the global device part and head go to every client.</summary>
    public IReadOnlyList<Message> ConfigureRound(int round, IReadOnlyList<int> clients)
    {
        _serverCopies.Clear();
        return ModelExchange.Broadcast(round, clients, GlobalDeviceState());
    }

    /// <summary>A client's turn begins: the device loads what it received, the server's copy starts from the global back.</summary>
    public void BeginTurn(int round, FlClient client, IReadOnlyList<Message> inbox)
    {
        ModelExchange.Receive(round, client, inbox, DeviceState());
        Device.Train();
        DeviceHead?.Train();
        var server = Server.StateDict();
        var global = Back.StateDict();
        for (int t = 0; t < server.Count; t++) global[t].Value.Span.CopyTo(server[t].Value.Span);
        Server.Train();
    }

    /// <summary>A client's turn ends: the server keeps its copy, the device's reply carries front, head and n_k.</summary>
    public Message EndTurn(int round, FlClient client)
    {
        ArgumentNullException.ThrowIfNull(client);
        var copy = Server.StateDict().Select(t => (t.Name, t.Value.Clone())).ToList();
        _serverCopies.Add((client.Id, client.Data.Count, copy));
        return ModelExchange.Reply(round, client.Id, DeviceState(), client.Data.Count);
    }

    /// <summary>Averages the device replies into the global front and head and the kept server copies into the global back; returns the FLOPs.</summary>
    public double Aggregate(int round, IReadOnlyList<Message> replies)
    {
        int clients = ModelExchange.AverageInto(round, replies, GlobalDeviceState());
        var copies = _serverCopies.OrderBy(c => c.Client).ToList();
        if (copies.Count == 0) throw new ArgumentException($"no server copies to aggregate in round {round}", nameof(replies));
        WeightedAverage.Average(copies.Select(c => (IReadOnlyList<(string Name, Tensor Value)>)c.State).ToList(),
            copies.Select(c => c.Samples).ToArray(), Back.StateDict());
        _serverCopies.Clear();
        return 2.0 * (DeviceElements * clients + BackElements * copies.Count);
    }

    /// <summary>The device's working state in wire order: front, then head.</summary>
    public List<(string Name, Tensor Value)> DeviceState() => [.. Device.StateDict(), .. DeviceHead?.StateDict() ?? []];

    /// <summary>The global device state in wire order: front, then head.</summary>
    public List<(string Name, Tensor Value)> GlobalDeviceState() => [.. Front.StateDict(), .. GlobalHead?.StateDict() ?? []];

    /// <summary>A message of a batch's activations at the cut (fp32) and its labels.</summary>
    public static Message ActivationsMessage(int round, int client, Tensor activations, ReadOnlySpan<int> labels) =>
        new(round, client, Message.Server, MessageKind.Activations,
            [WireTensor.Dense(ActivationsName, activations.Shape, activations.Span), WireTensor.Labels(LabelsName, labels)]);

    /// <summary>The activations and labels an <see cref="ActivationsMessage"/> carries.</summary>
    public static (Tensor Activations, int[] Labels) ReadActivations(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var a = message[ActivationsName];
        var labels = message[LabelsName].Data.Select(b => (int)b).ToArray();
        return (Tensor.FromArray(a.ToArray(), a.Shape), labels);
    }

    /// <summary>Cross-entropy, plus T²·KL(softmax(teacher/T) ‖ softmax(logits/T)) when <paramref name="teacher"/> is given.</summary>
    public static Variable Loss(Tape tape, Variable logits, int[] labels, Tensor? teacher, float temperature)
    {
        var loss = tape.CrossEntropy(logits, labels);
        return teacher is null ? loss : tape.Add(loss, tape.KlDiv(logits, new Variable(teacher), temperature));
    }

    /// <summary>
    /// One SGD step of the server copy on a batch of activations (with distillation towards
    /// <paramref name="teacher"/> when given); returns the gradient of the activations when
    /// <paramref name="inputGradient"/> (split learning's reply), else null.
    /// </summary>
    public Tensor? ServerStep(Tape tape, Sgd sgd, Tensor activations, int[] labels, bool inputGradient, Tensor? teacher = null, float temperature = 1)
    {
        var x = new Variable(activations, requiresGrad: inputGradient);
        sgd.ZeroGrad();
        tape.Backward(Loss(tape, Server.Forward(tape, x), labels, teacher, temperature));
        sgd.Step();
        tape.Reset();
        return x.Grad;
    }

    /// <summary>Copies rows <paramref name="rows"/> of <paramref name="source"/> (row length = destination length / row count) into <paramref name="destination"/>, in order.</summary>
    public static void GatherRows(ReadOnlySpan<float> source, ReadOnlySpan<int> rows, Span<float> destination)
    {
        int length = destination.Length / rows.Length;
        for (int i = 0; i < rows.Length; i++) source.Slice(rows[i] * length, length).CopyTo(destination.Slice(i * length, length));
    }

    private static Sequential Head(int[] cut, int classes, ulong seed)
    {
        int features = cut.Aggregate(1, (a, b) => a * b);
        return new Sequential(("flatten", new Flatten()), ("head", new Linear(features, classes, new RngStream(seed, HeadStream))));
    }
}
