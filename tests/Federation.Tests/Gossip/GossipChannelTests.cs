using NanoFed.Federation.Compression;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests.Federation;

/// <summary>
/// Gossip through a transport that loses messages: the sender keeps every undelivered share, so the push-sum mass
/// (Σ_i w_i = n and Σ_i z_i) is conserved, and the ledger holds exactly the serialized bytes of what was delivered.
/// </summary>
public class GossipChannelTests
{
    private const int N = 8, D = 1500;

    public static TheoryData<string> Protocols => ["push-sum", "form A", "form B"];

    private static IGossip Protocol(string name, ITopology topology) => name switch
    {
        "push-sum" => new PushSum(topology),
        "form A" => new ErrorFeedbackGossip(topology, new TopKCompressor(0.05), 0.5f, new TensorLayout(1000, 500)),
        _ => new DifferenceGossip(topology, new TopKCompressor(0.05), 0.5f, new TensorLayout(1000, 500)),
    };

    [Theory]
    [MemberData(nameof(Protocols))]
    public void DroppedSharesStayWithTheirSenderSoThePushSumMassIsConserved(string name)
    {
        // A non-regular digraph of out-degree 2 (mixing weight a = 1/3, so the shares are rounded) re-drawn every iteration.
        var protocol = Protocol(name, new RandomDigraph(N, 2, 1, 5));
        var nodes = PushSumTests.Nodes(protocol, D, 4, out _);
        var z0 = Sum(nodes);
        var ledger = new TrafficLedger();
        var transport = DroppingTransport.Random(new InProcessTransport(ledger), 0.3, 11);
        int sent = 0;
        for (long t = 0; t < 60; t++) sent += GossipLoop.Step(protocol, nodes, t, transport).Count;
        Assert.InRange(transport.Dropped, sent / 5, sent * 2 / 5);
        // Tolerance: the shares a·w are rounded to float and summed in float, 60 iterations of about 2^-24 each.
        Assert.Equal(N, nodes.Sum(v => (double)v.W), 1e-4);
        Assert.All(nodes, v => Assert.True(v.W > 0));
        var z = Sum(nodes);
        double drift = Enumerable.Range(0, D).Max(k => Math.Abs(z[k] - z0[k]));
        Assert.True(drift < 1e-3, $"Σ z moved by {drift}");
        Assert.Equal(sent - transport.Dropped, ledger.Entries.Count);
    }

    [Fact]
    public void APeerDownForSomeIterationsLeavesTheWeightsSummingToExactlyN()
    {
        // Peer 3 gets nothing for 20 iterations. Exponential graph, one peer: a = 1/2, every share is an exact halving
        // and (in this run) every sum is exact, so Σ w stays n bit for bit.
        var protocol = new PushSum(new ExponentialGraph(N));
        var nodes = PushSumTests.Nodes(protocol, D, 4, out _);
        var transport = new DroppingTransport(new InProcessTransport(new TrafficLedger()), m => m.Receiver == 3 && m.Round is >= 5 and < 25);
        for (long t = 0; t < 40; t++) GossipLoop.Step(protocol, nodes, t, transport);
        Assert.Equal(20, transport.Dropped);
        Assert.Equal(N, nodes.Sum(v => (double)v.W));
    }

    [Fact]
    public void ProtocolsWithoutPushSumWeightsRefuseALostMessage()
    {
        var topology = new UndirectedRing(N);
        var transport = new DroppingTransport(new InProcessTransport(new TrafficLedger()), m => m.Sender == 2);
        foreach (IGossip protocol in new IGossip[] { new DPsgd(topology), new Choco(topology, NoCompression.Instance, 1, new TensorLayout(D)) })
        {
            var e = Assert.Throws<InvalidOperationException>(() => GossipLoop.Step(protocol, PushSumTests.Nodes(protocol, D, 1, out _), 0, transport));
            Assert.Contains("every message delivered", e.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void TheLedgerRecordsEachMessagesSerializedBytesWithItsPhase()
    {
        var protocol = new DifferenceGossip(new ExponentialGraph(N), new TopKCompressor(0.01, IndexCoding.EliasGammaDelta), 0.5f, new TensorLayout(1000, 500));
        var ledger = new TrafficLedger();
        var messages = GossipLoop.Step(protocol, PushSumTests.Nodes(protocol, D, 2, out _), 3, new InProcessTransport(ledger), MessagePhase.Consensus);
        Assert.Equal(messages.Select(m => WireFormat.Size(m)), ledger.Entries.Select(e => e.Bytes));
        Assert.All(ledger.Entries, e => Assert.Equal((MessagePhase.Consensus, 3), (e.Phase, e.Round)));
        foreach (var m in messages)
        {
            // 22 + per tensor (13 header + 4 for k + 4k values + the Elias-gamma bytes of its gaps) + 17 for the weight.
            long expected = 22 + 17 + m.Payload.Take(2).Sum(t => 13 + 4 + 4L * t.Indices.Length + (SparseIndices.GammaBits(t.Indices) + 7) / 8);
            Assert.Equal(expected, WireFormat.Size(m));
        }
    }

    private static double[] Sum(GossipNode[] nodes)
    {
        var s = new double[nodes[0].Z.Length];
        foreach (var v in nodes)
            for (int k = 0; k < s.Length; k++) s[k] += v.Z[k];
        return s;
    }
}
