using NanoFed.Federation.Compression;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests.Federation;

public class KeepWarmupTests
{
    private static readonly TensorLayout Layout = new(1000, 400);

    private static KeepWarmup Warmup(double start, double target, int iterations) =>
        new(k => new DifferenceGossip(new ExponentialGraph(8), new TopKCompressor(k), 0.05f, Layout), start, target, iterations);

    [Fact]
    public void KeepFallsGeometricallyFromStartToTarget()
    {
        var w = Warmup(0.5, 0.005, 10);
        Assert.Equal(0.5, w.KeepAt(0));
        Assert.Equal(Math.Sqrt(0.5 * 0.005), w.KeepAt(5), 12);
        Assert.Equal(0.005, w.KeepAt(10));
        Assert.Equal(0.005, w.KeepAt(1000));
        for (long t = 1; t <= 10; t++) Assert.True(w.KeepAt(t) < w.KeepAt(t - 1));
        for (long t = 1; t < 10; t++) Assert.Equal(w.KeepAt(t) / w.KeepAt(t - 1), w.KeepAt(t + 1) / w.KeepAt(t), 12); // constant ratio
    }

    [Fact]
    public void EachIterationSendsTheEntriesOfItsKeepAndTheLedgerCountsThem()
    {
        var w = Warmup(0.5, 0.005, 10);
        var nodes = PushSumTests.Nodes(w, Layout.Total, 2, out _);
        var ledger = new TrafficLedger();
        var transport = new InProcessTransport(ledger);
        long before = 0;
        var bytes = new long[12];
        for (long t = 0; t < 12; t++)
        {
            var sent = GossipLoop.Step(w, nodes, t, transport);
            foreach (var m in sent)
                for (int l = 0; l < Layout.Count; l++)
                    Assert.Equal(Math.Max(1, (int)Math.Floor(Layout.Sizes[l] * w.KeepAt(t))), m.Payload[l].Indices.Length);
            bytes[t] = ledger.Total(MessagePhase.Training) - before;
            before += bytes[t];
            Assert.Equal(sent.Sum(WireFormat.Size), bytes[t]);
        }
        Assert.True(bytes[0] > 30 * bytes[11], $"first {bytes[0]}, last {bytes[11]}");
        Assert.Equal(bytes[10], bytes[11]);
    }

    [Fact]
    public void WithoutARampItIsThePlainProtocolBitForBit()
    {
        var w = Warmup(0.05, 0.05, 10);
        var plain = new DifferenceGossip(new ExponentialGraph(8), new TopKCompressor(0.05), 0.05f, Layout);
        var a = PushSumTests.Nodes(w, Layout.Total, 3, out _);
        var b = PushSumTests.Nodes(plain, Layout.Total, 3, out _);
        for (long t = 0; t < 20; t++)
        {
            GossipLoop.Step(w, a, t);
            GossipLoop.Step(plain, b, t);
        }
        for (int i = 0; i < a.Length; i++) Assert.Equal(b[i].Z, a[i].Z);
    }

    [Fact]
    public void WarmedUpFormBStillReachesTheAverage()
    {
        var w = Warmup(1, 0.02, 100);
        var nodes = PushSumTests.Nodes(w, Layout.Total, 4, out var average);
        for (long t = 0; t < 1500; t++) GossipLoop.Step(w, nodes, t);
        Assert.True(GossipLoop.MaxError(nodes, average) < 1e-4, $"max error {GossipLoop.MaxError(nodes, average)}");
    }

    [Theory]
    [InlineData(0.01, 0.1)] // start below target
    [InlineData(1.5, 0.1)]
    [InlineData(0.5, 0)]
    public void RejectsKeepsOutOfOrder(double start, double target) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => Warmup(start, target, 10));

    [Fact]
    public void RejectsNoIterations() => Assert.Throws<ArgumentOutOfRangeException>(() => Warmup(0.5, 0.1, 0));
}
