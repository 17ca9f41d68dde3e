using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Compression;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using Xunit;

namespace NanoFed.Tests.Federation;

public class ConsensusStepTests
{
    private static readonly TensorLayout Layout = new(600, 400);

    private static DifferenceGossip FormB(float gamma, ConsensusStep step, double keep = 0.05) =>
        new(new ExponentialGraph(8), new TopKCompressor(keep), gamma, Layout) { Step = step };

    private static GossipNode[] Run(IGossip protocol, int iterations, int seed = 3)
    {
        var nodes = PushSumTests.Nodes(protocol, Layout.Total, seed, out _);
        for (long t = 0; t < iterations; t++) GossipLoop.Step(protocol, nodes, t);
        return nodes;
    }

    [Fact]
    public void TheLearningRateRuleAtScaleOneIsTheConstantStepBitForBit()
    {
        var a = Run(FormB(0.05f, ConsensusStep.Constant), 30);
        var b = Run(FormB(0.05f, ConsensusStep.FollowingLearningRate(_ => 1.0)), 30);
        for (int i = 0; i < a.Length; i++) Assert.Equal(a[i].Z, b[i].Z);
    }

    [Fact]
    public void TheLearningRateRuleScalesGammaIterationByIteration()
    {
        // γ · lr(t)/lr with a halving scale is the constant protocol at γ/2 (exact in binary): the same nodes, bit for bit.
        var scaled = Run(FormB(0.1f, ConsensusStep.FollowingLearningRate(_ => 0.5)), 30);
        var half = Run(FormB(0.1f / 2, ConsensusStep.Constant), 30);
        for (int i = 0; i < half.Length; i++) Assert.Equal(half[i].Z, scaled[i].Z);
        // A step that switches at t = 10 matches neither constant protocol after it.
        var switched = Run(FormB(0.1f, ConsensusStep.FollowingLearningRate(t => t < 10 ? 1 : 0.5)), 30);
        Assert.NotEqual(half[0].Z, switched[0].Z);
        Assert.NotEqual(Run(FormB(0.1f, ConsensusStep.Constant), 30)[0].Z, switched[0].Z);
    }

    /// <summary>
    /// AdaGossip's first update on a node: v = (1 − β) r², v̂ = r², so each coordinate moves by min(1, γ / (|r| + ε)) · r:
    /// by r where |r| ≤ γ and by γ · sign(r) beyond (up to float rounding).
    /// </summary>
    [Fact]
    public void TheFirstAdaptiveStepIsClippedToGammaPerCoordinate()
    {
        var gen =
            from length in Gen.Choose(1, 64)
            from r in Gen.ArrayOf(Gen.Choose(-100_000, 100_000).Select(v => v / 1000f), length)
            from gamma in Gen.Elements(0.001f, 0.01f, 0.5f, 1f)
            select (r, gamma);
        Prop.ForAll(Arb.From(gen), s =>
        {
            var node = new GossipNode(new float[s.r.Length]) { StepState = new float[s.r.Length + 1] };
            ConsensusStep.Adaptive(0.9f).Apply(node, s.gamma, 0, s.r);
            for (int k = 0; k < s.r.Length; k++)
            {
                double want = Math.Min(1, s.gamma / (Math.Abs(s.r[k]) + ConsensusStep.Epsilon)) * s.r[k];
                Assert.True(Math.Abs(node.Z[k] - want) <= 1e-5 * Math.Max(1, Math.Abs(want)), $"r {s.r[k]}, gamma {s.gamma}: moved {node.Z[k]}, want {want}");
                Assert.True(Math.Abs(node.Z[k]) <= s.gamma * (1 + 1e-5) || node.Z[k] == s.r[k]);
            }
            Assert.Equal(1f, node.StepState[s.r.Length]);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    /// <summary>
    /// Gossip only, top-k at 5% on the exponential graph from N(0, 1) starts: at γ = 0.01 AdaGossip reaches consensus,
    /// faster than the constant step (small corrections mix fully). Larger γ let coordinates step by up to 1, as
    /// uncompressed averaging would, which top-k's public copies do not survive (γ = 0.05 stalls near 0.17 by t = 1500,
    /// γ = 1 at about 2, against 2·10⁻⁷ and divergence for the constant step): AdaGossip's γ is tuned like the constant one.
    /// </summary>
    [Fact]
    public void AdaptiveFormBReachesConsensusFasterAtSmallGamma()
    {
        GossipNode[] Gossip(ConsensusStep step, out double start)
        {
            var protocol = FormB(0.01f, step);
            var nodes = PushSumTests.Nodes(protocol, Layout.Total, 4, out _);
            start = GossipLoop.ConsensusDistance(nodes);
            for (long t = 0; t < 1500; t++) GossipLoop.Step(protocol, nodes, t);
            return nodes;
        }
        var adaptive = Gossip(ConsensusStep.Adaptive(), out double start);
        double end = GossipLoop.ConsensusDistance(adaptive), constant = GossipLoop.ConsensusDistance(Gossip(ConsensusStep.Constant, out _));
        Assert.True(end < 1e-5 * start, $"consensus distance {start} -> {end}");
        Assert.True(end < 0.01 * constant, $"adaptive {end}, constant {constant}");
        Assert.All(adaptive, n => Assert.Equal(1f, n.W)); // doubly stochastic mixing: w stays 1
    }

    [Fact]
    public void TheAdaptiveStateIsPartOfTheNodeState()
    {
        var protocol = FormB(0.05f, ConsensusStep.Adaptive());
        var nodes = Run(protocol, 5);
        var state = new Dictionary<string, float[]>();
        nodes[0].SaveState(state);
        Assert.Equal(Layout.Total + 1, state["step"].Length);
        Assert.Equal(5f, state["step"][^1]);
        var plain = new Dictionary<string, float[]>();
        Run(FormB(0.05f, ConsensusStep.Constant), 5)[0].SaveState(plain);
        Assert.False(plain.ContainsKey("step"));
        var fresh = protocol.CreateNode(new float[Layout.Total]);
        state.Remove("step");
        Assert.Contains("'step'", Assert.Throws<ArgumentException>(() => fresh.LoadState(state)).Message);
    }

    [Theory]
    [InlineData("constant")]
    [InlineData("lr")]
    [InlineData("adagossip")]
    [InlineData("adagossip:0.99")]
    public void ConfigAcceptsEveryRule(string rule) =>
        new GossipConfig { Method = "sparse-push", ConsensusStepRule = rule }.Validate();

    [Theory]
    [InlineData("sparse-push", "adagossip:1", "--consensus-step must be")]
    [InlineData("sparse-push", "adagossip:x", "--consensus-step must be")]
    [InlineData("sparse-push", "adagossip:0.9:1", "--consensus-step must be")]
    [InlineData("sparse-push", "cosine", "--consensus-step must be")]
    [InlineData("sgp", "lr", "needs a method with a consensus step")]
    [InlineData("dpsgd", "adagossip", "needs a method with a consensus step")]
    public void ConfigNamesABadRule(string method, string rule, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => new GossipConfig { Method = method, ConsensusStepRule = rule }.Validate()).Message);

    [Fact]
    public void EveryCompressedMethodTakesTheRule()
    {
        var topology = new Torus(2, 4);
        foreach (var method in new[] { "sparse-push", "scsp", "choco" })
        {
            var config = new GossipConfig { Method = method, ConsensusStepRule = "adagossip", Graph = "torus" };
            var protocol = (CompressedGossip)GossipMethods.Create(config, topology, Layout).Protocol!;
            Assert.NotSame(ConsensusStep.Constant, protocol.Step);
            Assert.NotNull(protocol.CreateNode(new float[Layout.Total]).StepState);
        }
        var formA = (CompressedGossip)GossipMethods.Create(new GossipConfig { Method = "sparse-push", Form = "A", ConsensusStepRule = "lr" }, topology, Layout, _ => 0.1).Protocol!;
        Assert.Equal(0.001f, formA.Step.Scalar(0.01f, 0), 6);
        var tuner = (CompressedGossip)GossipMethods.Create(new GossipConfig { Method = "sparse-push", ConsensusStepRule = "lr" }, topology, Layout).Protocol!;
        Assert.Same(ConsensusStep.Constant, tuner.Step); // no schedule (the tuner): γ held constant
    }
}
