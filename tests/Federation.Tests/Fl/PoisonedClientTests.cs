using NanoFed.Federation.Aggregation;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// One poisoned client among five (its weights sent ×1e6 every round) against FedAvg's server: the plain mean is
/// dragged so far that the test loss explodes in the first round (the divergence guard stops the run), while the
/// median stays within the honest clients' step and norm clipping keeps each round's move within its bound C.
/// </summary>
public class PoisonedClientTests
{
    private const ulong Seed = 4;
    private const int Clients = 5, Rounds = 2;
    private static readonly FedAvgOptions Local = new(E: 1, B: 20, Lr: 0.05, Momentum: 0.9);

    private static Sequential Model() => SmallCnn.Create(new RngStream(Seed, 9));

    /// <summary>Sends every Weights reply scaled by 1e6 (a client that lies about its model).</summary>
    private sealed class ScalingTransport(ITransport inner) : ITransport
    {
        public bool Send(Message message) => inner.Send(message.Kind != MessageKind.Weights ? message
            : new Message(message.Round, message.Sender, message.Receiver, message.Kind,
                message.Payload.Select(t => t.Name == FedAvg.SampleCountName ? t : WireTensor.Dense(t.Name, t.Shape, t.ToArray().Select(v => v * 1e6f).ToArray())).ToList(),
                message.Phase));

        public bool TryReceive(int node, out Message? message) => inner.TryReceive(node, out message);

        public IReadOnlyList<Message> ReceiveAll(int node) => inner.ReceiveAll(node);

        public Message Call(Message request) => inner.Call(request);
    }

    private sealed class PoisonedClient(IFlClient honest) : IFlClient
    {
        public int Id => honest.Id;

        public double Work(ITransport transport) => honest.Work(new ScalingTransport(transport));
    }

    /// <summary>Runs FedAvg with <paramref name="aggregator"/>, client 4 poisoned; returns the global state after each round.</summary>
    private static List<float[]> Run(IAggregator aggregator, bool poison, int rounds = Rounds)
    {
        var train = FedAvgTests.Synthetic(250, Seed);
        var test = FedAvgTests.Synthetic(40, Seed + 1000);
        var partition = new IidPartitioner(Clients).Split(train.Labels, 10, new RngStream(Seed, 5));
        var strategy = new FedAvg(Model, [1, 28, 28], Local) { Aggregator = aggregator };
        var honest = FedAvgClient.Factory(Model);
        var runner = FlTesting.Runner(new FlMethod(strategy, d => poison && d.Id == Clients - 1 ? new PoisonedClient(honest(d)) : honest(d)),
            train, partition, [("test", test)], FedAvgTests.Norm, perRound: Clients, Seed);
        var states = new List<float[]> { Flat(strategy.GlobalModel) };
        for (int r = 0; r < rounds; r++)
        {
            runner.Run(1);
            states.Add(Flat(strategy.GlobalModel));
        }
        return states;
    }

    private static float[] Flat(Module model) => model.StateDict().Where(t => !t.Name.EndsWith("num_batches_tracked", StringComparison.Ordinal))
        .SelectMany(t => t.Value.Span.ToArray()).ToArray();

    private static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => ((double)x - y) * ((double)x - y)).Sum());

    [Fact]
    public void WithTheMeanOnePoisonedClientWrecksTheModelAndTheDivergenceGuardStopsTheRun()
    {
        var e = Assert.Throws<NanoFed.Nets.Training.DivergenceException>(() => Run(Aggregators.Mean, poison: true, rounds: 1));
        Assert.Contains("diverged in round 1: the global model's loss on test is", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void TheMedianStaysCloseToTheHonestRunWhateverTheOneClientSends()
    {
        var honest = Run(Aggregators.Parse("median"), poison: false);
        var poisoned = Run(Aggregators.Parse("median"), poison: true);
        // The median of five with one liar is an order statistic of the four honest values: within their spread, so the
        // global model stays at the honest median's distance scale, far below the mean's drift.
        double start = Distance(honest[0], honest[1]);
        Assert.True(Distance(honest[1], poisoned[1]) <= 2 * start, $"median: poisoned round 1 is {Distance(honest[1], poisoned[1])} from the honest one, its step {start}");
    }

    [Fact]
    public void ClippingBoundsEveryRoundsMoveByC()
    {
        const double C = 0.5;
        var states = Run(Aggregators.Parse($"clip:{C}+mean"), poison: true);
        for (int r = 1; r < states.Count; r++)
            Assert.True(Distance(states[r - 1], states[r]) <= C * (1 + 1e-5), $"round {r} moved the global model by {Distance(states[r - 1], states[r])} > {C}");
    }
}
