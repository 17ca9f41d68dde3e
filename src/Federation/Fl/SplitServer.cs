using NanoFed.Autograd;
using NanoFed.Federation.Aggregation;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Training;
using NanoFed.Nets.Optim;

namespace NanoFed.Federation.Fl;

/// <summary>
/// The server's side of the DNN-partitioned methods (<see cref="SplitModel"/>): the global model cut into front and
/// back, the global auxiliary head, and one copy of the back per client of the round, each starting from the global
/// back at that client's first request and trained with its own SGD state (reset each round), so the requests of
/// different clients may interleave. At round start the global front and head go to every sampled client with its
/// round context; the aggregation averages the clients' fronts and heads and the server copies, each by sample count
/// (the n_k of the client's reply), into the global model. Copies return to a pool, so a run builds at most K.
/// </summary>
internal sealed class SplitServer
{
    private readonly Func<Sequential> _createBack;
    private readonly Dictionary<int, (Sequential Model, Sgd Sgd)> _copies = [];
    private readonly Stack<Sequential> _pool = new();
    private HashSet<int> _sampled = [];
    private int _round = -1;

    /// <summary>Builds the global model (and the head) from <paramref name="createModel"/>.</summary>
    /// <param name="createModel">Builds the architecture; called once now and once per server copy.</param>
    /// <param name="splitIndex">Layers [0, splitIndex) run on the device, the rest on the server.</param>
    /// <param name="inputShape">One input image (C, H, W).</param>
    /// <param name="classes">Classes of the auxiliary head; 0 for none.</param>
    /// <param name="seed">Seed of the head's initialisation: RngStream(seed, <see cref="SplitModel.HeadStream"/>).</param>
    public SplitServer(Func<Sequential> createModel, int splitIndex, ReadOnlySpan<int> inputShape, int classes = 0, ulong seed = 0)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        Global = createModel();
        if (splitIndex <= 0 || splitIndex >= Global.Count)
            throw new ArgumentOutOfRangeException(nameof(splitIndex), splitIndex, $"split index must leave layers on both sides, in [1, {Global.Count - 1}]");
        (Front, Back) = Global.Split(splitIndex);
        _createBack = () => createModel().Split(splitIndex).Back;
        CutShape = FlopCounter.OutputShape(Front, inputShape);
        BackFlops = FlopCounter.Forward(Back, CutShape);
        if (classes > 0)
        {
            GlobalHead = SplitModel.Head(CutShape, classes, seed);
            int outputs = FlopCounter.OutputShape(Back, CutShape)[0];
            if (outputs != classes) throw new ArgumentException($"the model has {outputs} outputs but {classes} classes were given", nameof(classes));
            var clash = GlobalHead.StateDict().Select(t => t.Name).Intersect(Front.StateDict().Select(t => t.Name)).FirstOrDefault();
            if (clash is not null) throw new ArgumentException($"the device part already has a tensor named '{clash}', the auxiliary head's name", nameof(createModel));
        }
        DeviceElements = GlobalDeviceState().Sum(t => (long)t.Value.Length);
        BackElements = Back.StateDict().Sum(t => (long)t.Value.Length);
    }

    /// <summary>The global model, front and back in one (what the runner evaluates; the head is not part of it).</summary>
    public Sequential Global { get; }

    /// <summary>The global device part (shares its modules with <see cref="Global"/>).</summary>
    public Sequential Front { get; }

    /// <summary>The global server part (shares its modules with <see cref="Global"/>).</summary>
    public Sequential Back { get; }

    /// <summary>The global auxiliary head, or null.</summary>
    public Sequential? GlobalHead { get; }

    /// <summary>One image's activations at the cut (e.g. 128, 8, 8).</summary>
    public int[] CutShape { get; }

    /// <summary>Forward FLOPs per image of the back.</summary>
    public long BackFlops { get; }

    /// <summary>Elements exchanged per device state (front and head, parameters and buffers).</summary>
    public long DeviceElements { get; }

    /// <summary>Elements of the back's state.</summary>
    public long BackElements { get; }

    /// <summary>Round start: each sampled client's context with <paramref name="instructions"/>, and the global front and head.</summary>
    public IReadOnlyList<Message> Configure(FlRound round, IReadOnlyList<(string Name, double Value)> instructions)
    {
        ArgumentNullException.ThrowIfNull(round);
        Release();
        _round = round.Round;
        _sampled = [.. round.Clients];
        return ModelExchange.Broadcast(round, instructions, GlobalDeviceState());
    }

    /// <summary>
    /// The copy of the back serving <paramref name="request"/>'s sender in this round, built from the global back (with
    /// a fresh SGD of <paramref name="options"/>) at its first request; throws for a sender not sampled in this round.
    /// </summary>
    public (Sequential Model, Sgd Sgd) Copy(Message request, FedAvgOptions options)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Round != _round || !_sampled.Contains(request.Sender))
            throw new ArgumentException($"{request}: the sender is not a sampled client of round {_round}", nameof(request));
        if (_copies.TryGetValue(request.Sender, out var copy)) return copy;
        var model = _pool.Count > 0 ? _pool.Pop() : _createBack();
        var server = model.StateDict();
        var global = Back.StateDict();
        for (int t = 0; t < server.Count; t++) global[t].Value.Span.CopyTo(server[t].Value.Span);
        model.Train();
        return _copies[request.Sender] = (model, LocalTraining.Sgd(model.Parameters(), options));
    }

    /// <summary>Drops <paramref name="client"/>'s copy of this round, if any: its next request builds it afresh from the global back.</summary>
    public void Forget(int client)
    {
        if (_copies.Remove(client, out var copy)) _pool.Push(copy.Model);
    }

    /// <summary>
    /// One SGD step of <paramref name="copy"/> on a batch of activations (with distillation towards
    /// <paramref name="teacher"/> when given); returns the gradient of the activations when
    /// <paramref name="inputGradient"/> (split learning's reply), else null.
    /// </summary>
    public static Tensor? Step(Tape tape, (Sequential Model, Sgd Sgd) copy, Tensor activations, int[] labels, bool inputGradient,
        Tensor? teacher = null, float temperature = 1)
    {
        var x = new Variable(activations, requiresGrad: inputGradient);
        SupervisedStep.Update(tape, copy.Sgd, SplitModel.Loss(tape, copy.Model.Forward(tape, x), labels, teacher, temperature));
        return x.Grad;
    }

    /// <summary>
    /// Averages the clients' replies into the global front and head and their server copies into the global back, in
    /// ascending client order by sample count; <paramref name="turnFlops"/> gives the server FLOPs inside a client's
    /// turn from its sample count.
    /// </summary>
    public RoundAggregate Aggregate(int round, IReadOnlyList<Message> replies, Func<long, double> turnFlops)
    {
        int clients = ModelExchange.AverageInto(round, replies, GlobalDeviceState(), Aggregators.Mean);
        var counts = replies.Where(m => m.Kind == MessageKind.Weights).OrderBy(m => m.Sender)
            .Select(m => (Client: m.Sender, Samples: ModelExchange.SampleCount(m))).ToList();
        // A client without samples made no request and has no copy; its weight in the average would be zero.
        var trained = counts.Where(c => _copies.ContainsKey(c.Client)).ToList();
        if (trained.Count > 0)
            WeightedAverage.Average(trained.Select(c => (IReadOnlyList<(string Name, Tensor Value)>)_copies[c.Client].Model.StateDict()).ToList(),
                trained.Select(c => c.Samples).ToArray(), Back.StateDict());
        Release();
        var turns = counts.ToDictionary(c => c.Client, c => turnFlops((long)c.Samples));
        return new RoundAggregate(2.0 * (DeviceElements * clients + BackElements * clients), turns);
    }

    /// <summary>The global device state in wire order: front, then head.</summary>
    public List<(string Name, Tensor Value)> GlobalDeviceState() => [.. Front.StateDict(), .. GlobalHead?.StateDict() ?? []];

    /// <summary>The global model and, if any, the global head as checkpoint entries ("model.", "head.").</summary>
    public IEnumerable<SafeTensor> SaveState() =>
        GlobalHead is null ? StrategyState.Save("model.", Global) : [.. StrategyState.Save("model.", Global), .. StrategyState.Save("head.", GlobalHead)];

    /// <summary>Restores what <see cref="SaveState"/> saved.</summary>
    public void LoadState(IReadOnlyDictionary<string, SafeTensor> state)
    {
        StrategyState.Load("model.", Global, state);
        if (GlobalHead is not null) StrategyState.Load("head.", GlobalHead, state);
    }

    private void Release()
    {
        foreach (var (model, _) in _copies.Values) _pool.Push(model);
        _copies.Clear();
    }
}
