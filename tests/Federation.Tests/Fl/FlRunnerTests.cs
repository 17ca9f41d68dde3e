using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
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

    private static FedAvg Method() => new(() => new Sequential(new Flatten(), new Linear(16, 2, new RngStream(1, 1))), [1, 4, 4],
        new FedAvgOptions(B: 4));

    private static Partition Split(ImageDataset d, int clients) => new IidPartitioner(clients).Split(d.Labels, 2, new RngStream(1, 2));

    [Fact]
    public void RunsAndReportsEveryRound()
    {
        var train = Tiny(40);
        var runner = new FlRunner(Method(), train, Split(train, 4), [("test", Tiny(10))], Normalization.Identity(1), perRound: 2, seed: 5);
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
        var train = Tiny(40);
        var runner = new FlRunner(Method(), train, Split(train, 4), [("main", Tiny(10)), ("extra", Tiny(12))], Normalization.Identity(1), perRound: 2, seed: 5)
        {
            EvaluateEvery = 2,
        };
        var history = runner.Run(5);
        Assert.Equal([1, 2, 1, 2, 2], history.Select(m => m.Tests.Count));
        Assert.Equal(2, runner.Run(1)[^1].Tests.Count);
        string csv = FlRoundMetrics.ToCsv(history);
        var lines = csv.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("round,accuracy,loss,bytes,cumulative_bytes,seconds,cumulative_seconds,main_accuracy,main_loss,extra_accuracy,extra_loss,clients", lines[0]);
        Assert.All(lines, l => Assert.Equal(11, l.Count(ch => ch == ',')));
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
        var train = Tiny(40);
        using var stop = new CancellationTokenSource();
        var runner = new FlRunner(Method(), train, Split(train, 4), [("test", Tiny(10))], Normalization.Identity(1), perRound: 2, seed: 5)
        {
            Cancellation = stop.Token,
        };
        Assert.Equal(2, runner.Run(5, m => { if (m.Round == 2) stop.Cancel(); }).Count);
    }

    [Fact]
    public void InvalidSetupThrows()
    {
        var train = Tiny(40);
        var p = Split(train, 4);
        Assert.ThrowsAny<ArgumentException>(() => new FlRunner(Method(), train, p, [("test", Tiny(10))], Normalization.Identity(1), perRound: 5, seed: 1));
        Assert.Throws<ArgumentException>(() => new FlRunner(Method(), Tiny(20), p, [("test", Tiny(10))], Normalization.Identity(1), perRound: 2, seed: 1));
        Assert.Throws<ArgumentException>(() => new FlRunner(Method(), train, p, [("test", Tiny(10))], Normalization.Identity(1), perRound: 2, seed: 1,
            new NanoFed.Federation.SystemModel.SystemModel(DeviceFlops: -1)));
    }
}
