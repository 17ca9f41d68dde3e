using NanoFed.Federation.Ledger;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Sampling;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Fl;

/// <summary>
/// Runs a federated-learning <see cref="IFlMethod"/> (Flower's <c>start_simulation</c>): owns the in-process transport,
/// the traffic ledger, the simulated clock (<see cref="SystemModel.SystemModel"/>) and client sampling. Each round
/// samples K of N clients, delivers the method's messages through the transport, runs every sampled client's work,
/// delivers the replies, aggregates, evaluates the global model on the test set and reports bytes (from the ledger)
/// and simulated time (critical path: slowest sampled device's download + compute + upload, with any server work done
/// inside its turn, then the server's aggregation).
/// </summary>
public sealed class FlRunner
{
    private readonly ImageDataset _train;
    private readonly IReadOnlyList<(string Name, ImageDataset Data)> _tests;
    private readonly ImageDataset?[] _clientData;
    private readonly ClientSampler _sampler;
    private readonly List<FlRoundMetrics> _history = [];

    /// <summary>Creates a runner; nothing runs until <see cref="Run"/>.</summary>
    /// <param name="method">The FL method.</param>
    /// <param name="train">The training set the partition indexes.</param>
    /// <param name="partition">Which training samples each client holds.</param>
    /// <param name="tests">The server's test sets; the first is the primary figure, evaluated after every round, the others
    /// as <see cref="EvaluateEvery"/> says.</param>
    /// <param name="normalization">Input normalisation.</param>
    /// <param name="perRound">Clients sampled per round (K).</param>
    /// <param name="seed">Seed of every random choice (sampling and the clients' streams).</param>
    /// <param name="system">The simulated system; <see cref="SystemModel.SystemModel.Default"/> if null.</param>
    public FlRunner(IFlMethod method, ImageDataset train, Partition partition, IReadOnlyList<(string Name, ImageDataset Data)> tests, Normalization normalization,
        int perRound, ulong seed, SystemModel.SystemModel? system = null)
    {
        Method = method ?? throw new ArgumentNullException(nameof(method));
        _train = train ?? throw new ArgumentNullException(nameof(train));
        Partition = partition ?? throw new ArgumentNullException(nameof(partition));
        _tests = tests ?? throw new ArgumentNullException(nameof(tests));
        if (tests.Count == 0) throw new ArgumentException("at least one test set is needed", nameof(tests));
        Normalization = normalization ?? throw new ArgumentNullException(nameof(normalization));
        foreach (var idx in partition.Indices)
            foreach (int i in idx)
                if ((uint)i >= (uint)train.Count) throw new ArgumentException($"partition index {i} is outside the training set of {train.Count}", nameof(partition));
        System = system ?? SystemModel.SystemModel.Default;
        System.Validate();
        Seed = seed;
        _sampler = new ClientSampler(partition.Clients, perRound, seed);
        _clientData = new ImageDataset?[partition.Clients];
        Transport = new InProcessTransport(Ledger);
    }

    /// <summary>The method being run.</summary>
    public IFlMethod Method { get; }

    /// <summary>The clients' partition.</summary>
    public Partition Partition { get; }

    /// <summary>Input normalisation.</summary>
    public Normalization Normalization { get; }

    /// <summary>The simulated system.</summary>
    public SystemModel.SystemModel System { get; }

    /// <summary>The run's seed.</summary>
    public ulong Seed { get; }

    /// <summary>Every message's serialized size; all byte figures come from here.</summary>
    public TrafficLedger Ledger { get; } = new();

    /// <summary>The in-process transport (serializes every message).</summary>
    public InProcessTransport Transport { get; }

    /// <summary>Metrics of the rounds run so far.</summary>
    public IReadOnlyList<FlRoundMetrics> History => _history;

    /// <summary>Stream id of the clients' random streams: client c in round r uses new RngStream(seed, ClientStream).Split(r).Split(c).</summary>
    public const ulong ClientStream = 0xC11E47;

    /// <summary>
    /// The secondary test sets (all but the first) are evaluated after every this many rounds (round mod K = 0) and
    /// after the last round of each <see cref="Run"/> call; the primary one after every round. Default 1: all, always.
    /// </summary>
    public int EvaluateEvery
    {
        get;
        set => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "must be positive");
    } = 1;

    /// <summary>Once cancelled, <see cref="Run"/> stops between rounds (the rounds done so far stay in <see cref="History"/>).</summary>
    public CancellationToken Cancellation { get; set; }

    /// <summary>Runs <paramref name="rounds"/> more rounds (fewer if <see cref="Cancellation"/> fires); <paramref name="progress"/> is called after each.</summary>
    public IReadOnlyList<FlRoundMetrics> Run(int rounds, Action<FlRoundMetrics>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rounds);
        for (int i = 0; i < rounds && !Cancellation.IsCancellationRequested; i++)
        {
            int round = _history.Count + 1;
            var m = RunRound(round, evaluateAll: round % EvaluateEvery == 0 || i == rounds - 1);
            _history.Add(m);
            progress?.Invoke(m);
        }
        return _history;
    }

    private FlRoundMetrics RunRound(int round, bool evaluateAll)
    {
        var clients = _sampler.Sample(round);
        int firstEntry = Ledger.Entries.Count;
        foreach (var msg in Method.ConfigureRound(round, clients)) Transport.Send(msg);
        var work = new List<SystemModel.DeviceWork>(clients.Length);
        var flops = new Dictionary<int, double>();
        var inlineServer = new Dictionary<int, double>();
        foreach (int c in clients)
        {
            var inbox = Transport.ReceiveAll(c);
            var rng = new RngStream(Seed, ClientStream).Split((ulong)round).Split((ulong)c);
            var result = Method.ClientWork(round, new FlClient(c, ClientData(c), Normalization, rng, Transport), inbox);
            foreach (var reply in result.Replies) Transport.Send(reply);
            flops[c] = result.Flops;
            inlineServer[c] = result.ServerFlops;
        }
        double serverFlops = Method.Aggregate(round, Transport.ReceiveAll(Message.Server));
        // Bytes and message counts per client come from the ledger entries of this round.
        var entries = Ledger.Entries.Skip(firstEntry).ToList();
        foreach (int c in clients)
        {
            long down = 0, up = 0;
            int downN = 0, upN = 0;
            foreach (var e in entries)
            {
                if (e.Receiver == c) { down += e.Bytes; downN++; }
                if (e.Sender == c) { up += e.Bytes; upN++; }
            }
            work.Add(new SystemModel.DeviceWork(c, down, downN, flops[c], up, upN, inlineServer[c]));
        }
        double seconds = System.RoundTime(work, serverFlops);
        long bytes = entries.Sum(e => e.Bytes);
        var tests = _tests.Take(evaluateAll ? _tests.Count : 1)
            .Select(t => Evaluator.Evaluate(Method.GlobalModel, t.Data, Normalization, t.Name)).ToList();
        var prev = _history.Count == 0 ? null : _history[^1];
        return new FlRoundMetrics(round, clients, tests[0].Accuracy, tests[0].Loss, bytes, (prev?.CumulativeBytes ?? 0) + bytes,
            seconds, (prev?.CumulativeSeconds ?? 0) + seconds, tests);
    }

    private ImageDataset ClientData(int c) => _clientData[c] ??= _train.Subset(Partition.Indices[c]);
}
