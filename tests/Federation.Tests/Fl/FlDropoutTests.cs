using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Nets.Models;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// Fault injection in the federated simulation (<see cref="FlRunner.Dropout"/>): FedAvg on SmallCnn and 300 of
/// FedAvgTests' synthetic bars, 10 IID clients, 3 sampled per round.
/// </summary>
[Collection(nameof(WorkerCountCollection))]
public class FlDropoutTests
{
    private static FlRunner Runner(ulong seed, double dropout, int? quorum = null)
    {
        var train = FedAvgTests.Synthetic(300, seed);
        var test = FedAvgTests.Synthetic(100, seed + 1000);
        var partition = new IidPartitioner(10).Split(train.Labels, 10, new RngStream(seed, 5));
        var method = new FedAvg(() => SmallCnn.Create(new RngStream(seed, 9)), [1, 28, 28], new FedAvgOptions(E: 1, B: 20, Lr: 0.05, Momentum: 0.9));
        var clients = FedAvgClient.Factory(() => SmallCnn.Create(new RngStream(seed, 9)));
        var runner = FlTesting.Runner(new FlMethod(method, clients), train, partition, [("test", test)], FedAvgTests.Norm, perRound: 3, seed);
        runner.Dropout = dropout;
        runner.Quorum = quorum;
        return runner;
    }

    private static (string Hash, string Csv) Run(FlRunner runner, int rounds)
    {
        var history = runner.Run(rounds);
        return (FlGoldenTests.Hash(runner.Strategy.GlobalModel), FlRoundMetrics.ToCsv(history));
    }

    [Fact]
    public void DropoutZeroLeavesTheRunBitIdentical()
    {
        var plain = Runner(3, 0);
        var a = Run(plain, 2);
        var explicitZero = Runner(3, 0.3);
        explicitZero.Dropout = 0;
        Assert.Equal(a, Run(explicitZero, 2));
        Assert.All(plain.History, m => Assert.Equal(0, m.Dropped));
    }

    [Fact]
    public void DroppedClientsGetNoMessageAndTheRoundRunsWithTheOthers()
    {
        var runner = Runner(7, 0.4);
        var history = runner.Run(4);
        Assert.True(history.Sum(m => m.Dropped) > 0, "seed 7 at 40% drops someone in 4 rounds of 3");
        foreach (var m in history)
        {
            var dropped = m.Clients.Where(c => runner.DropsOut(m.Round, c)).ToHashSet();
            Assert.Equal(dropped.Count, m.Dropped);
            var reached = runner.Ledger.Entries.Where(e => e.Round == m.Round).SelectMany(e => new[] { e.Sender, e.Receiver }).ToHashSet();
            Assert.All(dropped, c => Assert.DoesNotContain(c, reached));
            Assert.All(m.Clients.Except(dropped), c => Assert.Contains(c, reached));
            Assert.Equal(dropped.Count == m.Clients.Count, m.Skipped is not null);
        }
        Assert.Equal(history.Select(m => m.Dropped), FlRoundMetrics.FromCsv(FlRoundMetrics.ToCsv(history)).Select(m => m.Dropped));
    }

    [Fact]
    public void SameSeedGivesTheSameDropoutsAndModelForOneAndTwoThreads()
    {
        int saved = Workers.Count;
        try
        {
            Workers.Count = 1;
            var one = Run(Runner(11, 0.3), 3);
            Workers.Count = 2;
            var two = Run(Runner(11, 0.3), 3);
            Assert.Equal(one, two);
        }
        finally
        {
            Workers.Count = saved;
        }
    }

    [Fact]
    public void EachDrawIsAClientsOwnAndHitsTheProbability()
    {
        var runner = Runner(5, 0.3);
        int hits = 0, draws = 0;
        for (int round = 1; round <= 200; round++)
            for (int c = 0; c < 50; c++, draws++)
                if (runner.DropsOut(round, c)) hits++;
        Assert.InRange(hits / (double)draws, 0.28, 0.32);
        Assert.Equal(runner.DropsOut(17, 4), Runner(5, 0.3).DropsOut(17, 4));
    }

    [Fact]
    public void ARoundWithNobodyLeftIsSkippedAndTheModelStays()
    {
        var runner = Runner(3, 1);
        string before = FlGoldenTests.Hash(runner.Strategy.GlobalModel);
        var history = runner.Run(2);
        Assert.All(history, m => Assert.Equal(("all 3 sampled clients dropped out", 0L, 3), (m.Skipped, m.Bytes, m.Dropped)));
        Assert.Equal(before, FlGoldenTests.Hash(runner.Strategy.GlobalModel));
        Assert.Empty(runner.Ledger.Entries);
    }

    [Fact]
    public void ARoundBelowAnExplicitQuorumAfterDropoutIsSkipped()
    {
        var runner = Runner(7, 0.4, quorum: 3);
        var history = runner.Run(4);
        Assert.Contains(history, m => m.Dropped > 0);
        Assert.All(history.Where(m => m.Dropped > 0), m => Assert.Contains("the quorum is 3", m.Skipped, StringComparison.Ordinal));
        Assert.All(history.Where(m => m.Dropped == 0), m => Assert.Null(m.Skipped));
    }

    [Fact]
    public void BadProbabilitiesAreRefusedNamingTheOption()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Runner(3, 1.5));
        foreach (double p in new[] { -0.1, 1.01, double.NaN })
        {
            var e = Assert.Throws<ArgumentException>(() => new FlConfig { Model = "smallcnn", Dropout = p }.Validate());
            Assert.StartsWith("--dropout", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void MetricsWrittenBeforeTheDroppedColumnStillParse()
    {
        const string old = "round,accuracy,loss,bytes,cumulative_bytes,seconds,cumulative_seconds,test_accuracy,test_loss,clients\n1,0.5,1.2,10,10,0.1,0.1,0.5,1.2,0 4\n";
        var m = Assert.Single(FlRoundMetrics.FromCsv(old));
        Assert.Equal((1, 0, 0.5), (m.Round, m.Dropped, m.Tests[0].Accuracy));
    }
}
