using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Models;
using NanoFed.Nets.Training;
using Xunit;

namespace NanoFed.Tests;

public class FedAvgTests
{
    /// <summary>
    /// Synthetic 28×28 images in 10 classes: class c is a bright 8×4 bar at one of 10 positions (jittered by 0..4 pixels
    /// vertically and ±1 horizontally) over heavy uniform noise; learnable by SmallCnn within a few FedAvg rounds, not instantly.
    /// </summary>
    internal static ImageDataset Synthetic(int n, ulong seed)
    {
        var rng = new RngStream(seed, 77);
        var pixels = new byte[n * 28 * 28];
        var labels = new int[n];
        for (int i = 0; i < n; i++)
        {
            int c = rng.NextInt(10);
            labels[i] = c;
            int y0 = 2 + (c / 5) * 12 + rng.NextInt(5), x0 = 1 + (c % 5) * 5 + rng.NextInt(3) - 1;
            var img = pixels.AsSpan(i * 784, 784);
            for (int p = 0; p < 784; p++) img[p] = (byte)rng.NextInt(140);
            for (int y = y0; y < Math.Min(28, y0 + 8); y++)
                for (int x = x0; x < Math.Min(28, x0 + 4); x++)
                    img[y * 28 + x] = (byte)Math.Min(255, img[y * 28 + x] + 110);
        }
        return new ImageDataset(pixels, labels, 1, 28, 28, 10);
    }

    internal static readonly Normalization Norm = new([0.35f], [0.2f]);

    private static (FlRunner Runner, FedAvg Method) Create(ulong seed, SystemModel? system = null, int trainCount = 1000)
    {
        var train = Synthetic(trainCount, seed);
        var test = Synthetic(300, seed + 1000);
        var partition = new IidPartitioner(10).Split(train.Labels, 10, new RngStream(seed, 5));
        var method = new FedAvg(() => SmallCnn.Create(new RngStream(seed, 9)), [1, 28, 28], new FedAvgOptions(E: 1, B: 20, Lr: 0.05, Momentum: 0.9));
        var clients = FedAvgClient.Factory(() => SmallCnn.Create(new RngStream(seed, 9)));
        return (FlTesting.Runner(new FlMethod(method, clients), train, partition, [("test", test)], Norm, perRound: 3, seed, system), method);
    }

    [Fact]
    public void AccuracyImprovesOverRounds()
    {
        var (runner, method) = Create(42);
        double initial = Evaluator.Evaluate(method.GlobalModel, Synthetic(300, 1042), Norm, "test").Accuracy;
        var history = runner.Run(5);
        Assert.Equal(5, history.Count);
        Assert.All(history, m => Assert.Equal(3, m.Clients.Count));
        Assert.True(history[^1].Accuracy > initial + 0.3, $"initial {initial}, per round {string.Join(", ", history.Select(h => h.Accuracy))}");
        Assert.True(history[^1].Accuracy >= history[0].Accuracy, string.Join(", ", history.Select(h => h.Accuracy)));
        Assert.True(history[^1].Loss < history[0].Loss, string.Join(", ", history.Select(h => h.Loss)));
    }

    [Fact]
    public void LedgerBytesPerClientAreTwoModels()
    {
        var (runner, method) = Create(7, trainCount: 300);
        var history = runner.Run(2);
        long model = WireFormat.Serialize(new Message(1, Message.Server, 0, MessageKind.Weights,
            WireTensor.DenseAll(method.GlobalModel.StateDict()))).LongLength;
        Assert.True(model > 4 * method.ParameterElements, "a dense message carries 4 bytes per element plus a header");
        var perClient = runner.Ledger.PerClientPerRound();
        Assert.Equal(6, perClient.Count);
        foreach (var ((round, client), bytes) in perClient)
        {
            Assert.Contains(client, history[round - 1].Clients);
            Assert.Equal(model, TrainingBytes(runner, client, sent: false, round));
            long overhead = bytes - 2 * model - RoundContextBytes; // the one-element num_examples tensor in the reply
            Assert.InRange(overhead, 1, 64);
        }
        Assert.Equal(runner.Ledger.Total(), history[^1].CumulativeBytes);
        Assert.Equal(history[0].Bytes + history[1].Bytes, history[1].CumulativeBytes);
    }

    [Fact]
    public void SameSeedGivesIdenticalMetrics()
    {
        var a = Create(11, trainCount: 300).Runner.Run(2);
        var b = Create(11, trainCount: 300).Runner.Run(2);
        // The CSV holds every field (round-trip doubles) including the sampled clients and each test set.
        Assert.Equal(FlRoundMetrics.ToCsv(a), FlRoundMetrics.ToCsv(b));
    }

    [Fact]
    public void SimulatedTimeFollowsTheFormula()
    {
        var system = new SystemModel(DeviceFlops: 2e9, ServerFlops: 1e11, UplinkBytesPerSecond: 1e6, DownlinkBytesPerSecond: 4e6, Latency: 0.05);
        var (runner, method) = Create(3, system, trainCount: 300);
        var history = runner.Run(2);
        double cumulative = 0;
        foreach (var m in history)
        {
            double slowest = 0;
            foreach (int c in m.Clients)
            {
                long down = TrainingBytes(runner, c, sent: false, m.Round), up = TrainingBytes(runner, c, sent: true, m.Round);
                double flops = 3.0 * method.ForwardFlopsPerImage * runner.Partition.Indices[c].Length;
                slowest = Math.Max(slowest, 0.05 + down / 4e6 + flops / 2e9 + 0.05 + up / 1e6);
            }
            double expected = slowest + 2.0 * method.ParameterElements * m.Clients.Count / 1e11;
            Assert.Equal(expected, m.Seconds, 9);
            cumulative += expected;
            Assert.Equal(cumulative, m.CumulativeSeconds, 9);
        }
    }

    /// <summary>
    /// FedAvg's round context: a 22-byte message header, the 16-byte key (2 + 3 + 2 + 4 + 4 bytes of tensor header) and
    /// five 8-byte instructions (epochs, batch, lr, momentum, weight_decay), each with a tensor header of 12 bytes plus
    /// its name.
    /// </summary>
    internal const long RoundContextBytes = 22 + (15 + 16) + (12 + 6 + 8) + (12 + 5 + 8) + (12 + 2 + 8) + (12 + 8 + 8) + (12 + 12 + 8);

    /// <summary>The Training-phase bytes <paramref name="client"/> sent or received in <paramref name="round"/>: what the simulated clock charges.</summary>
    internal static long TrainingBytes(FlRunner runner, int client, bool sent, int round) => runner.Ledger.Entries
        .Where(e => e.Round == round && e.Phase == MessagePhase.Training && (sent ? e.Sender : e.Receiver) == client).Sum(e => e.Bytes);

    [Fact]
    public void RoundContextIsOneControlMessageDownPerSampledClient()
    {
        var (runner, _) = Create(7, trainCount: 300);
        var history = runner.Run(2);
        var contexts = runner.Ledger.Entries.Where(e => e.Phase == MessagePhase.Control).ToList();
        Assert.Equal(history.SelectMany(m => m.Clients.Select(c => (m.Round, c))), contexts.Select(e => (e.Round, e.Receiver)));
        Assert.All(contexts, e => Assert.Equal((Message.Server, MessageKind.Control, RoundContextBytes), (e.Sender, e.Kind, e.Bytes)));
    }

    /// <summary>Each round's contexts carry that round's rate of the schedule, and the nesterov switch only when it is on.</summary>
    [Fact]
    public void EachContextCarriesItsRoundsRateAndNesterovOnlyWhenOn()
    {
        var schedule = NanoFed.Federation.Decentralized.GossipSchedule.Create("multistep", 0.1, [2], 1, 4, 1);
        var plain = new FedAvgOptions(Lr: 0.1);
        var scheduled = plain with { Schedule = schedule, Nesterov = true };
        var server = new FedAvg(() => SmallCnn.Create(new RngStream(1, 9)), [1, 28, 28], scheduled);
        double[] rates = new double[4];
        for (int round = 1; round <= 4; round++)
        {
            var context = RoundContext.Find(1, server.ConfigureRound(new FlRound(round, [1], 5)).Where(m => m.Receiver == 1).ToList())!;
            var options = FedAvgOptions.From(context);
            Assert.True(options.Nesterov);
            rates[round - 1] = options.Lr;
        }
        // Warm-up round at lr/10, then 0.1 until the milestone after round 2, then x0.1.
        Assert.Equal([0.01, 0.1, 0.01, 0.01], rates.Select(r => Math.Round(r, 12)));
        Assert.DoesNotContain(plain.ToInstructions(3), i => i.Name == Instructions.Nesterov);
        Assert.Equal(0.1, plain.ToInstructions(3).Single(i => i.Name == Instructions.Lr).Value);
        Assert.False(FedAvgOptions.From(new RoundContext(1, 0, 0, plain.ToInstructions(1))).Nesterov);
    }

    [Fact]
    public void InvalidOptionsThrow()
    {
        Assert.Throws<ArgumentException>(() => new FedAvgOptions(Momentum: 0, Nesterov: true).Validate());
        Assert.Throws<ArgumentException>(() => new FedAvgOptions(E: 0).Validate());
        Assert.Throws<ArgumentException>(() => new FedAvgOptions(Lr: -1).Validate());
        Assert.Throws<ArgumentException>(() => new FedAvgOptions(Momentum: 1).Validate());
    }
}
