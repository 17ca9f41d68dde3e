using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Systems;
using NanoFed.Nets.Models;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// Stragglers against a round deadline (<see cref="SystemModel.Deadline"/>, <see cref="SystemModel.Slowdown"/>): FedAvg
/// on SmallCnn and 300 of FedAvgTests' synthetic bars, 10 IID clients, 3 sampled per round, as in FlDropoutTests.
/// </summary>
[Collection(nameof(WorkerCountCollection))]
public class FlStragglerTests
{
    private const ulong Seed = 3;

    private static FlRunner Runner(SystemModel system)
    {
        var train = FedAvgTests.Synthetic(300, Seed);
        var test = FedAvgTests.Synthetic(100, Seed + 1000);
        var partition = new IidPartitioner(10).Split(train.Labels, 10, new RngStream(Seed, 5));
        var method = new FedAvg(() => SmallCnn.Create(new RngStream(Seed, 9)), [1, 28, 28], new FedAvgOptions(E: 1, B: 20, Lr: 0.05, Momentum: 0.9));
        var clients = FedAvgClient.Factory(() => SmallCnn.Create(new RngStream(Seed, 9)));
        return FlTesting.Runner(new FlMethod(method, clients), train, partition, [("test", test)], FedAvgTests.Norm, perRound: 3, Seed, system);
    }

    private static readonly SystemModel Slow = SystemModel.Default with { Slowdown = 1 };

    [Fact]
    public void WithoutADeadlineStragglersSlowTheClockButChangeNoWeight()
    {
        var plain = Runner(SystemModel.Default);
        var slowed = Runner(Slow);
        var a = plain.Run(3);
        var b = slowed.Run(3);
        Assert.Equal(FlGoldenTests.Hash(plain.Strategy.GlobalModel), FlGoldenTests.Hash(slowed.Strategy.GlobalModel));
        Assert.All(a.Zip(b), p => Assert.True(p.Second.Seconds > p.First.Seconds, $"round {p.First.Round}: {p.Second.Seconds} s against {p.First.Seconds} s"));
        var far = Runner(Slow with { Deadline = 1e9 });
        far.Run(3);
        Assert.Equal(FlGoldenTests.Hash(plain.Strategy.GlobalModel), FlGoldenTests.Hash(far.Strategy.GlobalModel));
    }

    /// <summary>
    /// A deadline just under every round's slowest turn: each round loses at least its slowest device, which the server
    /// stops waiting for at the deadline, aggregates the others, and the model is not the one without a deadline.
    /// </summary>
    [Fact]
    public void DevicesPastTheDeadlineMissTheRoundWhichCompletesWithTheOthers()
    {
        var free = Runner(Slow);
        var rounds = free.Run(4);
        double deadline = rounds.Min(m => m.Seconds) * 0.999;
        var runner = Runner(Slow with { Deadline = deadline });
        var history = runner.Run(4);
        foreach (var m in history)
        {
            Assert.NotEmpty(m.Failures);
            Assert.All(m.Failures, f => Assert.Contains("missed the deadline", f.Reason, StringComparison.Ordinal));
            Assert.InRange(m.Seconds, deadline, deadline * 1.001);
        }
        Assert.Contains(history, m => m.Skipped is null && m.Failures.Count < m.Clients.Count);
        Assert.NotEqual(FlGoldenTests.Hash(free.Strategy.GlobalModel), FlGoldenTests.Hash(runner.Strategy.GlobalModel));
    }

    [Fact]
    public void ARoundWhoseDevicesAllMissTheDeadlineLeavesTheModelAsItWas()
    {
        var runner = Runner(SystemModel.Default with { Deadline = 1e-6 });
        string before = FlGoldenTests.Hash(runner.Strategy.GlobalModel);
        var history = runner.Run(2);
        Assert.All(history, m => Assert.Equal(("all 3 clients that worked missed the deadline", 3), (m.Skipped, m.Failures.Count)));
        Assert.All(history, m => Assert.True(m.Bytes > 0 && m.Seconds == 1e-6, $"{m.Bytes} bytes, {m.Seconds} s"));
        Assert.Equal(before, FlGoldenTests.Hash(runner.Strategy.GlobalModel));
    }

    [Fact]
    public void EachSlowdownIsAClientsOwnDrawWithTheStatedMean()
    {
        var runner = Runner(SystemModel.Default with { Slowdown = 2 });
        double sum = 0;
        int draws = 0;
        for (int round = 1; round <= 200; round++)
            for (int c = 0; c < 50; c++, draws++)
                sum += runner.SlowdownOf(round, c);
        Assert.InRange(sum / draws, 2.9, 3.1);
        Assert.Equal(runner.SlowdownOf(17, 4), Runner(SystemModel.Default with { Slowdown = 2 }).SlowdownOf(17, 4));
        Assert.Equal(1, Runner(SystemModel.Default).SlowdownOf(17, 4));
    }

    [Fact]
    public void BadDeadlinesAndSlowdownsAreRefusedNamingTheOptions()
    {
        foreach (var system in new[] { SystemModel.Default with { Deadline = 0 }, SystemModel.Default with { Deadline = double.NaN }, SystemModel.Default with { Slowdown = -1 } })
        {
            var e = Assert.Throws<ArgumentException>(() => new FlConfig { Model = "smallcnn", System = system }.Validate());
            Assert.Contains("--round-deadline, --slowdown", e.Message, StringComparison.Ordinal);
        }
    }
}
