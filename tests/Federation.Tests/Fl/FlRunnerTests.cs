using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests;

public class FlRunnerTests
{
    private static ImageDataset Tiny(int n)
    {
        var pixels = new byte[n * 16];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i * 37 % 251);
        return new ImageDataset(pixels, Enumerable.Range(0, n).Select(i => i % 2).ToArray(), 1, 4, 4, 2);
    }

    private static Sequential Model() => new(new Flatten(), new Linear(16, 2, new RngStream(1, 1)));

    private static FlMethod Method() => new(new FedAvg(Model, [1, 4, 4], new FedAvgOptions(B: 4)), FedAvgClient.Factory(Model));

    private static Partition Split(ImageDataset d, int clients) => new IidPartitioner(clients).Split(d.Labels, 2, new RngStream(1, 2));

    private static FlRunner Runner(FlMethod method, IReadOnlyList<(string Name, ImageDataset Data)>? tests = null, int perRound = 2)
    {
        var train = Tiny(40);
        return FlTesting.Runner(method, train, Split(train, 4), tests ?? [("test", Tiny(10))], Normalization.Identity(1), perRound, seed: 5);
    }

    /// <summary>A FedAvg client that throws in the rounds its predicate names, before taking its messages.</summary>
    private sealed class Flaky(IFlClient inner, Func<int, bool> fails) : IFlClient
    {
        private int _round;

        public int Id => inner.Id;

        public double Work(ITransport transport) =>
            fails(++_round) ? throw new InvalidOperationException($"client {Id} lost power") : inner.Work(transport);
    }

    [Fact]
    public void RunsAndReportsEveryRound()
    {
        var runner = Runner(Method());
        var seen = new List<int>();
        var history = runner.Run(3, m => seen.Add(m.Round));
        Assert.Equal([1, 2, 3], seen);
        Assert.Equal(3, history.Count);
        Assert.Equal(3, runner.Run(0).Count);
        Assert.All(history, m => Assert.True(m.Seconds > 0 && m.Bytes > 0));
        var csv = FlRoundMetrics.ToCsv(history).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(4, csv.Length);
        Assert.StartsWith("round,accuracy", csv[0], StringComparison.Ordinal);
    }

    [Fact]
    public void SecondaryTestSetsAreEvaluatedEveryKRoundsAndOnTheLastAndTheCsvRoundTrips()
    {
        var runner = Runner(Method(), [("main", Tiny(10)), ("extra", Tiny(12))]);
        runner.EvaluateEvery = 2;
        var history = runner.Run(5);
        Assert.Equal([1, 2, 1, 2, 2], history.Select(m => m.Tests.Count));
        Assert.Equal(2, runner.Run(1)[^1].Tests.Count);
        string csv = FlRoundMetrics.ToCsv(history);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("round,accuracy,loss,bytes,cumulative_bytes,seconds,cumulative_seconds,main_accuracy,main_loss,extra_accuracy,extra_loss,dropped,clients", lines[0]);
        Assert.All(lines, l => Assert.Equal(12, l.Count(ch => ch == ',')));
        Assert.Contains(",,", lines[1], StringComparison.Ordinal);
        var back = FlRoundMetrics.FromCsv(csv);
        Assert.Equal(csv, FlRoundMetrics.ToCsv(back));
        Assert.Equal(history.Select(m => m.Clients), back.Select(m => m.Clients));
        Assert.Contains("\"extra\"", FlRoundMetrics.ToJson(history), StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => FlRoundMetrics.FromCsv("round,x\n1,2\n"));
    }

    [Fact]
    public void CancellationStopsBetweenRounds()
    {
        using var stop = new CancellationTokenSource();
        var runner = Runner(Method());
        runner.Cancellation = stop.Token;
        Assert.Equal(2, runner.Run(5, m => { if (m.Round == 2) stop.Cancel(); }).Count);
    }

    /// <summary>
    /// A client that throws is a failure: the round completes with the others when the quorum allows it, the
    /// aggregation averages only the answers, and the failure is reported with its reason; below the quorum (by default
    /// every sampled client) the round throws naming it.
    /// </summary>
    [Fact]
    public void AFailingClientIsReportedAndTheRoundCompletesWithTheQuorum()
    {
        var fedavg = Method();
        var method = fedavg with { Clients = data => new Flaky(fedavg.Clients(data), round => data.Id == 1) };
        var runner = Runner(method, perRound: 4);
        runner.Quorum = 3;
        var m = runner.Run(1)[0];
        var failure = Assert.Single(m.Failures);
        Assert.Equal((1, "client 1 lost power"), (failure.Client, failure.Reason));
        Assert.DoesNotContain(runner.Ledger.Entries, e => e.Sender == 1);
        Assert.Equal([0, 2, 3], runner.Ledger.Entries.Where(e => e.Receiver == Message.Server).Select(e => e.Sender));

        var strict = Runner(method, perRound: 4);
        var error = Assert.Throws<QuorumException>(() => strict.Run(1));
        Assert.Contains("3 of 4 sampled clients answered, the quorum is 4; client 1: client 1 lost power", error.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => strict.Quorum = 5);
    }

    /// <summary>
    /// The server's side of a deployment: the runner's transport can read only the server's inbox (as a server's
    /// <c>GrpcTransport</c>), and each client works on its own view of the shared in-process transport, as a device
    /// process does. Client 1 fails round 1 before reading its messages (a device killed after the round's pushes
    /// reached it); with <paramref name="late"/> it also trained that round and its reply reaches the server during
    /// round 2, as a device's that answered after its deadline. The runner must not read client 1's inbox, client 1
    /// must drop round 1's messages at its next turn, and the late reply must not be aggregated: both runs end with
    /// the same global model.
    /// </summary>
    private static FlRunner ServerSide(bool late)
    {
        var fedavg = Method();
        var ledger = new NanoFed.Federation.Ledger.TrafficLedger();
        var shared = new InProcessTransport(ledger);
        var train = Tiny(40);
        var clients = new ClientPopulation(train, Split(train, 4), Normalization.Identity(1),
            data => new Device(fedavg.Clients(data), shared, failsRound1: data.Id == 1, late));
        var runner = new FlRunner(fedavg.Strategy, clients, [("test", Tiny(10))], perRound: 4, seed: 5, new ServerOnly(shared), ledger) { Quorum = 3 };
        runner.Run(2);
        return runner;
    }

    [Fact]
    public void TheRunnerReadsOnlyTheServersInboxAndAFailedTurnLeavesNothingBehind()
    {
        var failed = ServerSide(late: false);
        var answeredLate = ServerSide(late: true);
        foreach (var runner in new[] { failed, answeredLate })
        {
            Assert.Equal([1], runner.History[0].Failures.Select(f => f.Client));
            Assert.Empty(runner.History[1].Failures);
        }
        Assert.Contains(answeredLate.Ledger.Entries, e => e is { Round: 1, Sender: 1, Receiver: Message.Server });
        var a = failed.Strategy.GlobalModel.StateDict();
        var b = answeredLate.Strategy.GlobalModel.StateDict();
        for (int i = 0; i < a.Count; i++) Assert.True(a[i].Value.Span.SequenceEqual(b[i].Value.Span), a[i].Name);
    }

    [Fact]
    public void StartableClientsAllStartBeforeAnyResultIsTakenAndRepliesArrivingInAnyOrderEndAsTheSimulation()
    {
        var simulation = Runner(Method(), perRound: 4);
        simulation.Run(2);
        var log = new List<string>();
        var pending = new List<Action>();
        var fedavg = Method();
        // Each client its own model (a factory per client), as devices have.
        var method = new FlMethod(fedavg.Strategy, data => new Startable(FedAvgClient.Factory(Model)(data), log, pending));
        var runner = Runner(method, perRound: 4);
        runner.Run(2);
        for (int round = 0; round < 2; round++)
        {
            var turns = log.Skip(round * 8).Take(8).ToList();
            Assert.Equal(["start 0", "start 1", "start 2", "start 3", "work 0", "work 1", "work 2", "work 3"], turns);
        }
        var a = simulation.Strategy.GlobalModel.StateDict();
        var b = runner.Strategy.GlobalModel.StateDict();
        for (int i = 0; i < a.Count; i++) Assert.True(a[i].Value.Span.SequenceEqual(b[i].Value.Span), a[i].Name);
    }

    /// <summary>Starts its turn when asked; the first result taken runs every started turn, the last started first, so replies reach the server in reverse id order.</summary>
    private sealed class Startable(IFlClient inner, List<string> log, List<Action> pending) : IStartableClient
    {
        private double _flops;

        public int Id => inner.Id;

        public void Start(ITransport transport)
        {
            log.Add($"start {Id}");
            pending.Add(() => _flops = inner.Work(transport));
        }

        public double Work(ITransport transport)
        {
            log.Add($"work {Id}");
            for (int i = pending.Count - 1; i >= 0; i--) pending[i]();
            pending.Clear();
            return _flops;
        }
    }

    /// <summary>A device's client: it works on its own transport, whatever transport the server's runner hands it.</summary>
    private sealed class Device(IFlClient inner, InProcessTransport own, bool failsRound1, bool late) : IFlClient
    {
        private readonly List<Message> _held = [];
        private int _round;

        public int Id => inner.Id;

        public double Work(ITransport transport)
        {
            if (++_round == 1 && failsRound1)
            {
                if (late) inner.Work(new Holding(own, _held));
                else throw new TransportException($"client {Id} was killed");
                throw new TransportException($"client {Id} passed the deadline");
            }
            foreach (var m in _held) own.Send(m);
            _held.Clear();
            return inner.Work(own);
        }
    }

    /// <summary>Reads the client's inbox but holds back what it sends (a reply that is late).</summary>
    private sealed class Holding(InProcessTransport inner, List<Message> held) : ITransport
    {
        public bool Send(Message message)
        {
            held.Add(message);
            return true;
        }

        public bool TryReceive(int node, out Message? message) => inner.TryReceive(node, out message);

        public IReadOnlyList<Message> ReceiveAll(int node) => inner.ReceiveAll(node);

        public Message Call(Message request) => inner.Call(request);
    }

    /// <summary>Sends anywhere but receives only for the server, as the transport of a server process.</summary>
    private sealed class ServerOnly(InProcessTransport inner) : ITransport
    {
        public bool Send(Message message) => inner.Send(message);

        public bool TryReceive(int node, out Message? message) => inner.TryReceive(Server(node), out message);

        public IReadOnlyList<Message> ReceiveAll(int node) => inner.ReceiveAll(Server(node));

        public Message Call(Message request) => inner.Call(request);

        private static int Server(int node) => node == Message.Server ? node : throw new ArgumentException($"this transport serves node {Message.Server}, not node {node}");
    }

    [Fact]
    public void InvalidSetupThrows()
    {
        var train = Tiny(40);
        var p = Split(train, 4);
        var method = Method();
        Assert.ThrowsAny<ArgumentException>(() => FlTesting.Runner(method, train, p, [("test", Tiny(10))], Normalization.Identity(1), perRound: 5, seed: 1));
        Assert.Throws<ArgumentException>(() => FlTesting.Runner(method, Tiny(20), p, [("test", Tiny(10))], Normalization.Identity(1), perRound: 2, seed: 1));
        Assert.Throws<ArgumentException>(() => FlTesting.Runner(method, train, p, [("test", Tiny(10))], Normalization.Identity(1), perRound: 2, seed: 1,
            new NanoFed.Federation.Systems.SystemModel(DeviceFlops: -1)));
    }
}
