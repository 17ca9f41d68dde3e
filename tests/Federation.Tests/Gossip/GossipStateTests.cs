using NanoFed.Federation.Compression;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using Xunit;

namespace NanoFed.Tests.Federation;

public class GossipStateTests
{
    public static TheoryData<string> Protocols => new() { "pushsum", "error-feedback", "differences", "differences-adagossip" };

    private static IGossip Create(string name, ITopology topology, TensorLayout layout) => name switch
    {
        "pushsum" => new PushSum(topology),
        "error-feedback" => new ErrorFeedbackGossip(topology, new TopKCompressor(0.05), 0.3f, layout),
        "differences-adagossip" => new DifferenceGossip(topology, new TopKCompressor(0.05), 0.3f, layout) { Step = ConsensusStep.Adaptive() },
        _ => new DifferenceGossip(topology, new TopKCompressor(0.05), 0.3f, layout),
    };

    /// <summary>
    /// Saving every node's state half-way, restoring it into fresh nodes and continuing gives bit-identical nodes to the
    /// uninterrupted run: what a checkpoint needs. A random digraph re-drawn every iteration moves w away from 1 and
    /// changes in-neighbours, so public copies appear along the way.
    /// </summary>
    [Theory]
    [MemberData(nameof(Protocols))]
    public void SavedStateResumesBitIdentically(string name)
    {
        var topology = new RandomDigraph(8, 2, 1, 5);
        var layout = new TensorLayout(60, 40);
        var straight = ResumeAndCompare(Create(name, topology, layout));
        Assert.Contains(straight, n => n.W != 1f);
    }

    public static TheoryData<string> UndirectedProtocols => new() { "dpsgd", "choco" };

    /// <summary>The same for the undirected baselines on a torus (CHOCO with top-k, so x̂ and the copies lag x).</summary>
    [Theory]
    [MemberData(nameof(UndirectedProtocols))]
    public void UndirectedBaselinesResumeBitIdentically(string name)
    {
        var topology = new Torus(2, 4);
        IGossip protocol = name == "dpsgd" ? new DPsgd(topology) : new Choco(topology, new TopKCompressor(0.05), 0.3f, new TensorLayout(60, 40));
        var straight = ResumeAndCompare(protocol);
        if (protocol is Choco) Assert.All(straight, n => Assert.Equal(3, ((Choco.Node)n).Copies.Count));
    }

    /// <summary>Runs 20 iterations straight and 10 + save, load into fresh nodes, 10 more; asserts equal states; returns the straight nodes.</summary>
    private static GossipNode[] ResumeAndCompare(IGossip protocol)
    {
        var straight = PushSumTests.Nodes(protocol, 100, 3, out _);
        var resumed = PushSumTests.Nodes(protocol, 100, 3, out _);
        for (long t = 0; t < 10; t++)
        {
            GossipLoop.Step(protocol, straight, t);
            GossipLoop.Step(protocol, resumed, t);
        }
        var saved = resumed.Select(n =>
        {
            var state = new Dictionary<string, float[]>();
            n.SaveState(state);
            return state.ToDictionary(e => e.Key, e => e.Value.ToArray());
        }).ToArray();
        var fresh = resumed.Select(_ => protocol.CreateNode(new float[100])).ToArray();
        for (int i = 0; i < fresh.Length; i++) fresh[i].LoadState(saved[i]);
        for (long t = 10; t < 20; t++)
        {
            GossipLoop.Step(protocol, straight, t);
            GossipLoop.Step(protocol, fresh, t);
        }
        for (int i = 0; i < fresh.Length; i++)
        {
            var a = new Dictionary<string, float[]>();
            var b = new Dictionary<string, float[]>();
            straight[i].SaveState(a);
            fresh[i].SaveState(b);
            Assert.Equal(a.Keys.Order(), b.Keys.Order());
            foreach (var key in a.Keys) Assert.Equal(a[key], b[key]);
        }
        return straight;
    }

    [Fact]
    public void MissingOrMisSizedEntriesAreNamed()
    {
        var node = new GossipNode(new float[3]);
        var e = Assert.Throws<ArgumentException>(() => node.LoadState(new Dictionary<string, float[]> { ["z"] = new float[3] }));
        Assert.Contains("'w'", e.Message, StringComparison.Ordinal);
        e = Assert.Throws<ArgumentException>(() => node.LoadState(new Dictionary<string, float[]> { ["z"] = new float[2], ["w"] = [1] }));
        Assert.Contains("'z' has 2 values, expected 3", e.Message, StringComparison.Ordinal);
    }
}
