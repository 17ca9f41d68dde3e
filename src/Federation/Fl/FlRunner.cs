using System.Numerics.Tensors;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Sampling;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Fl;

/// <summary>
/// Runs a federated-learning method (Flower's <c>start</c>): an <see cref="IFlStrategy"/> on the server and the
/// <see cref="IFlClient"/>s of a <see cref="ClientPopulation"/>, driven only through the <see cref="ITransport"/> the
/// caller passes in (with the ledger it records in). The runner owns client sampling, the simulated clock
/// (<see cref="Systems.SystemModel"/>) and the metrics. Each round it samples K of N clients, sends the strategy's
/// round messages, lets every sampled client work (a client that throws is a failure; <see cref="Quorum"/> says how
/// many must answer; <see cref="Dropout"/> lets sampled devices drop out before the round starts; a system model with a
/// deadline drops the devices whose turn, their compute slowed by their straggler factor (<see cref="SlowdownOf"/>), ends
/// after it), hands the answering clients' replies and the failures to the aggregation, evaluates the global model on
/// the test sets and reports bytes (every message of the round in the ledger) and simulated time. The clock's critical
/// path is the slowest device's download + compute + upload of Training-phase messages, with the server work inside its
/// turn, at most the deadline, then the aggregation; Control-phase messages (round context, acknowledgements) are in
/// the byte figures but not on the clock: a context rides with the round's first message, and an acknowledgement
/// overlaps the device's next batch.
/// </summary>
public sealed class FlRunner
{
    /// <summary>Stream id of the dropout draws: client c drops out of round r when <c>RngStream(seed, DropoutStream).Split(r).Split(c)</c>'s first float is below <see cref="Dropout"/>.</summary>
    public const ulong DropoutStream = 0xD20B0;

    /// <summary>Stream id of the straggler draws: client c's slow-down in round r comes from <c>RngStream(seed, StragglerStream).Split(r).Split(c)</c>'s first float.</summary>
    public const ulong StragglerStream = 0x57A66;

    private readonly IReadOnlyList<(string Name, ImageDataset Data)> _tests;
    private readonly ClientSampler _sampler;
    private readonly List<FlRoundMetrics> _history = [];

    /// <summary>Creates a runner; nothing runs until <see cref="Run"/>.</summary>
    /// <param name="strategy">The method's server side.</param>
    /// <param name="clients">The method's clients and their data.</param>
    /// <param name="tests">The server's test sets; the first is the primary figure, evaluated after every round, the others
    /// as <see cref="EvaluateEvery"/> says.</param>
    /// <param name="perRound">Clients sampled per round (K).</param>
    /// <param name="seed">Seed of every random choice (sampling, and the key of the clients' streams in their round context).</param>
    /// <param name="transport">Carries every message; a strategy that is an <see cref="IMessageHandler"/> must be registered on
    /// it for <see cref="Message.Server"/>.</param>
    /// <param name="ledger">The ledger <paramref name="transport"/> records every message in.</param>
    /// <param name="system">The simulated system; <see cref="Systems.SystemModel.Default"/> if null.</param>
    public FlRunner(IFlStrategy strategy, ClientPopulation clients, IReadOnlyList<(string Name, ImageDataset Data)> tests, int perRound, ulong seed,
        ITransport transport, TrafficLedger ledger, Systems.SystemModel? system = null)
    {
        Strategy = strategy ?? throw new ArgumentNullException(nameof(strategy));
        Clients = clients ?? throw new ArgumentNullException(nameof(clients));
        _tests = tests ?? throw new ArgumentNullException(nameof(tests));
        if (tests.Count == 0) throw new ArgumentException("at least one test set is needed", nameof(tests));
        Transport = transport ?? throw new ArgumentNullException(nameof(transport));
        Ledger = ledger ?? throw new ArgumentNullException(nameof(ledger));
        System = system ?? Systems.SystemModel.Default;
        System.Validate();
        Seed = seed;
        _sampler = new ClientSampler(clients.Count, perRound, seed);
        PerRound = perRound;
    }

    /// <summary>The method's server side.</summary>
    public IFlStrategy Strategy { get; }

    /// <summary>The clients.</summary>
    public ClientPopulation Clients { get; }

    /// <summary>The clients' partition.</summary>
    public Partition Partition => Clients.Partition;

    /// <summary>The simulated system.</summary>
    public Systems.SystemModel System { get; }

    /// <summary>The run's seed.</summary>
    public ulong Seed { get; }

    /// <summary>Clients sampled per round (K).</summary>
    public int PerRound { get; }

    /// <summary>The transport every message goes through.</summary>
    public ITransport Transport { get; }

    /// <summary>Every message's serialized size; all byte figures come from here.</summary>
    public TrafficLedger Ledger { get; }

    /// <summary>Metrics of the rounds run so far.</summary>
    public IReadOnlyList<FlRoundMetrics> History => _history;

    /// <summary>
    /// How many sampled clients must answer for a round to count (1..K); null (the default) for all of them. A round
    /// with fewer throws an <see cref="InvalidOperationException"/> naming the failures.
    /// </summary>
    public int? Quorum
    {
        get;
        set => field = value is null || (value >= 1 && value <= PerRound) ? value
            : throw new ArgumentOutOfRangeException(nameof(value), value, $"the quorum must be 1..{PerRound} (clients per round)");
    }

    /// <summary>
    /// Fault injection: the probability in [0, 1] that a sampled device drops out of a round before it starts (it gets
    /// no message and does no work). Each draw is client c's own in round r (<see cref="DropoutStream"/>), so who drops
    /// out depends on neither the thread count nor the order of clients; 0 (the default) draws nothing and leaves the
    /// run bit-identical to one without the option. The round runs with the others; <see cref="Quorum"/> then counts
    /// among all sampled clients, and its default (null) means every client that did not drop out. A round left with no
    /// client, or with fewer than an explicit quorum, is skipped: the global model stays as it was, no byte is sent, and
    /// its metrics say why (<see cref="FlRoundMetrics.Skipped"/>).
    /// </summary>
    public double Dropout
    {
        get;
        set => field = value is >= 0 and <= 1 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "the dropout probability must be in [0, 1]");
    }

    /// <summary>
    /// The secondary test sets (all but the first) are evaluated after every this many rounds (round mod K = 0) and
    /// after the last round of each <see cref="Run"/> call; the primary one after every round. Default 1: all, always.
    /// </summary>
    public int EvaluateEvery
    {
        get;
        set => field = value > 0 ? value : throw new ArgumentOutOfRangeException(nameof(value), value, "must be positive");
    } = 1;

    /// <summary>Where the server's checkpoint goes after every round (<see cref="FlCheckpoint"/>); null for none.</summary>
    public string? CheckpointPath { get; set; }

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
            if (CheckpointPath is { } path) FlCheckpoint.Write(this, path);
            progress?.Invoke(m);
        }
        return _history;
    }

    /// <summary>Takes a checkpoint's rounds and ledger entries into a runner that has run no round (<see cref="FlCheckpoint.Restore"/>).</summary>
    internal void Restore(IReadOnlyList<FlRoundMetrics> history, IEnumerable<LedgerEntry> entries)
    {
        if (_history.Count != 0 || Ledger.Entries.Count != 0) throw new InvalidOperationException("only a runner that has run no round can be restored");
        // The checkpoint's metrics CSV has no image counts (metrics.json has them): a test set's count is its size here.
        _history.AddRange(history.Select(m => m with
        {
            Tests = m.Tests.Select(t => t with { Count = _tests.FirstOrDefault(s => s.Name == t.Name).Data?.Count ?? t.Count }).ToList(),
        }));
        foreach (var e in entries) Ledger.Record(e);
    }

    /// <summary>
    /// The factor client <paramref name="client"/>'s compute is slowed by in round <paramref name="round"/>: 1 + s · E with
    /// s the system model's <see cref="Systems.SystemModel.Slowdown"/> and E = −ln(1 − u) exponential with mean 1, u the
    /// client's own draw (<see cref="StragglerStream"/>), so who straggles depends on neither the thread count nor the
    /// order of clients; exactly 1 when s is 0.
    /// </summary>
    public double SlowdownOf(int round, int client) => System.Slowdown == 0 ? 1
        : 1 + System.Slowdown * -Math.Log(1 - new RngStream(Seed, StragglerStream).Split((ulong)(uint)round).Split((ulong)(uint)client).NextFloat());

    /// <summary>Whether client <paramref name="client"/> drops out of round <paramref name="round"/> (<see cref="Dropout"/>).</summary>
    public bool DropsOut(int round, int client) =>
        Dropout > 0 && new RngStream(Seed, DropoutStream).Split((ulong)(uint)round).Split((ulong)(uint)client).NextFloat() < Dropout;

    private FlRoundMetrics RunRound(int round, bool evaluateAll)
    {
        var sampled = _sampler.Sample(round);
        var clients = Dropout > 0 ? sampled.Where(c => !DropsOut(round, c)).ToArray() : sampled;
        int dropped = sampled.Length - clients.Length;
        if (clients.Length == 0 || clients.Length < (Quorum ?? 1))
            return Skip(round, sampled, dropped, evaluateAll, clients.Length == 0
                ? $"all {sampled.Length} sampled clients dropped out"
                : $"{clients.Length} of {sampled.Length} sampled clients left after dropout, the quorum is {Quorum}");
        int firstEntry = Ledger.Entries.Count;
        var failures = new List<ClientFailure>();
        Exception? firstError = null;
        foreach (var msg in Strategy.ConfigureRound(new FlRound(round, clients, Seed)))
            if (!Transport.Send(msg) && failures.All(f => f.Client != msg.Receiver))
                failures.Add(new ClientFailure(msg.Receiver, $"client {msg.Receiver} could not be reached"));
        if (Strategy is not IMessageHandler)
            foreach (int c in clients)
                if (failures.All(f => f.Client != c) && Clients[c] is IStartableClient remote) remote.Start(Transport);
        var flops = new Dictionary<int, double>();
        foreach (int c in clients)
        {
            if (failures.Any(f => f.Client == c)) continue;
            try
            {
                flops[c] = Clients[c].Work(Transport);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                firstError ??= e;
                failures.Add(new ClientFailure(c, e.Message));
            }
        }
        var worked = new Dictionary<int, double>(flops);
        int missed = 0;
        if (System.Deadline is not null)
        {
            foreach (var d in DeviceWork(round, Ledger.Entries.Skip(firstEntry).ToList(), worked, _ => 0).Where(System.Misses))
            {
                flops.Remove(d.Client);
                failures.Add(new ClientFailure(d.Client, $"missed the deadline: {System.DeviceTime(d):F2} s > {System.Deadline:F2} s"));
                missed++;
            }
        }
        // A straggler is a fault the run asked for, not an error: the default quorum is every client that took part and met the deadline.
        int quorum = Quorum ?? clients.Length - missed;
        if (flops.Count < quorum)
            throw new QuorumException($"round {round}: {flops.Count} of {sampled.Length} sampled clients answered{(dropped > 0 ? $" ({dropped} dropped out)" : "")}, the quorum is {quorum}; " +
                string.Join("; ", failures.Select(f => $"client {f.Client}: {f.Reason}")), firstError);
        // The runner reads only the server's inbox: a client's may be in another process. A reply of an earlier round (a
        // device that answered after its turn had failed) is dropped with the replies of clients that did not answer.
        // Turns that ran side by side (IStartableClient) deliver in any order; the simulation's is ascending client id.
        var replies = Transport.ReceiveAll(Message.Server).Where(m => m.Round == round && flops.ContainsKey(m.Sender)).OrderBy(m => m.Sender).ToList();
        var entries = Ledger.Entries.Skip(firstEntry).ToList();
        long bytes = entries.Sum(e => e.Bytes);
        if (flops.Count == 0)
        {
            double waited = System.RoundTime(DeviceWork(round, entries, worked, _ => 0), 0);
            return Metrics(round, sampled, bytes, waited, evaluateAll) with { Failures = failures, Dropped = dropped, Skipped = $"all {missed} clients that worked missed the deadline" };
        }
        var aggregate = Strategy.Aggregate(round, replies, failures);
        if (Divergence.NonFinite(Strategy.GlobalModel.StateDict()) is { } what)
            throw new DivergenceException($"diverged in round {round}: the global model's {what}{Culprits(replies)}");
        double seconds = System.RoundTime(DeviceWork(round, entries, worked, c => aggregate.TurnFlops.GetValueOrDefault(c)), aggregate.Flops);
        return Metrics(round, sampled, bytes, seconds, evaluateAll, Culprits(replies)) with { Failures = failures, Dropped = dropped };
    }

    /// <summary>A round too few took part in: no message, no aggregation, the global model evaluated as it stands.</summary>
    private FlRoundMetrics Skip(int round, int[] sampled, int dropped, bool evaluateAll, string reason) =>
        Metrics(round, sampled, 0, 0, evaluateAll) with { Dropped = dropped, Skipped = reason };

    /// <summary>
    /// The round's row: the global model on the test sets (all of them when <paramref name="evaluateAll"/>) and the
    /// running totals; a loss past the divergence bound stops the run, naming <paramref name="culprits"/>.
    /// </summary>
    private FlRoundMetrics Metrics(int round, int[] sampled, long bytes, double seconds, bool evaluateAll, string culprits = "")
    {
        var tests = _tests.Take(evaluateAll ? _tests.Count : 1)
            .Select(t => Strategy.Evaluate(round, t.Name, t.Data, Clients.Normalization)).ToList();
        if (Divergence.Loss($"the global model's loss on {tests[0].Name}", tests[0].Loss) is { } exploded)
            throw new DivergenceException($"diverged in round {round}: {exploded}{culprits}");
        var prev = _history.Count == 0 ? null : _history[^1];
        return new FlRoundMetrics(round, sampled, tests[0].Accuracy, tests[0].Loss, bytes, (prev?.CumulativeBytes ?? 0) + bytes,
            seconds, (prev?.CumulativeSeconds ?? 0) + seconds, tests);
    }

    /// <summary>The clients whose replies carried a NaN or an infinity (values or scales), for the divergence message.</summary>
    private static string Culprits(List<Message> replies)
    {
        var senders = replies.Where(m => m.Payload.Any(t => !float.IsFinite(TensorPrimitives.Sum(t.Values)) || !float.IsFinite(TensorPrimitives.Sum(t.Scales))))
            .Select(m => m.Sender).Distinct().Order().ToList();
        return senders.Count == 0 ? "" : $", after the replies of client(s) {string.Join(", ", senders)}";
    }

    /// <summary>
    /// Each client that worked: its Training-phase bytes and messages each way (from the ledger), FLOPs, the server's
    /// FLOPs inside its turn and its straggler factor.
    /// </summary>
    private List<Systems.DeviceWork> DeviceWork(int round, List<LedgerEntry> entries, Dictionary<int, double> flops, Func<int, double> turnFlops)
    {
        var work = new List<Systems.DeviceWork>(flops.Count);
        foreach (var (c, deviceFlops) in flops)
        {
            long down = 0, up = 0;
            int downN = 0, upN = 0;
            foreach (var e in entries)
            {
                if (e.Phase != MessagePhase.Training) continue;
                if (e.Receiver == c) { down += e.Bytes; downN++; }
                if (e.Sender == c) { up += e.Bytes; upN++; }
            }
            work.Add(new Systems.DeviceWork(c, down, downN, deviceFlops, up, upN, turnFlops(c), SlowdownOf(round, c)));
        }
        return work;
    }
}
