using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Gossip;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests.Decentralized;

/// <summary>The push-sum step of one agent on synthetic 28×28 images.</summary>
public class AgentTests
{
    private static Agent Create()
    {
        var rng = new RngStream(5, 0);
        var pixels = new byte[64 * 28 * 28];
        for (int k = 0; k < pixels.Length; k++) pixels[k] = (byte)(rng.NextUInt32() & 255);
        var labels = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        var model = new Sequential(("conv", new Conv2d(1, 4, 3, rng)), ("bn", new BatchNorm2d(4)), ("relu", new ReLU()), ("pool", new MaxPool2d(2)),
            ("flatten", new Flatten()), ("fc", new Linear(4 * 13 * 13, 10, rng)));
        return new Agent(0, model, new ImageDataset(pixels, labels, 1, 28, 28, 10), 16, 0.1, 5, Normalization.Identity(1));
    }

    [Fact]
    public void StepTakesTheGradientAtZOverWAndSetsZToWTimesTheNewParameters()
    {
        using var agent = Create();
        int d = agent.Layout.Total;
        Assert.Equal(agent.Model.Parameters().Sum(p => p.Data.Length), d);
        var x0 = new float[d];
        agent.CopyParameters(x0);
        var node = new GossipNode(x0.Select(v => 2 * v).ToArray()) { W = 2 };
        agent.Attach(node);
        // Scramble the model: the step must start from z / w, not from what the model holds.
        agent.LoadParameters(new float[d]);
        var batch = agent.Loader.Epoch(0).First();
        agent.Step(batch);
        var x1 = new float[d];
        agent.CopyParameters(x1);
        Assert.Equal(2f, node.W);
        for (int k = 0; k < d; k++) Assert.Equal(2 * x1[k], node.Z[k]);
        Assert.Contains(Enumerable.Range(0, d), k => x1[k] != x0[k]);
        var (loss, accuracy) = agent.TakeTrainStats();
        Assert.True(loss > 0 && accuracy is >= 0 and <= 1);
        Assert.Equal((0.0, 0.0), agent.TakeTrainStats());
    }

    [Fact]
    public void AttachRejectsANodeOfTheWrongSize()
    {
        using var agent = Create();
        Assert.Throws<ArgumentException>(() => agent.Attach(new GossipNode(new float[3])));
    }
}
