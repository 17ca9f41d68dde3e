using NanoFed.Federation.Experiments;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests.Experiments;

/// <summary>
/// Agents that leave and rejoin in the gossip simulation (<see cref="GossipConfig.Absence"/>): the setup of
/// GossipMessageLossTests (4 smallcnn agents on a random out-degree-2 graph, 512 Fashion-MNIST images, batch 32,
/// 2 epochs of 4 iterations), each agent away for windows of 2 iterations with probability 0.3.
/// </summary>
[Collection(nameof(WorkerCountCollection))]
public sealed class GossipAbsenceTests : IDisposable
{
    private const int Agents = 4, Epochs = 2;
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-gossip-absence-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static GossipConfig Config(string method, double absence) => new()
    {
        Method = method, Agents = Agents, Graph = "random", Degree = 2, Model = "smallcnn", Dataset = "fashion-mnist", Limit = 512, TestLimit = 100,
        Batch = 32, Epochs = Epochs, Keep = 0.1, Seed = 4, Absence = absence, AbsenceIterations = 2,
    };

    /// <summary>
    /// After every iteration: an agent that was away has the z and w it had before (it neither stepped, sent nor
    /// received), and the push-sum weights sum to n, since what was sent to an absent agent stayed with its sender.
    /// </summary>
    [Theory]
    [InlineData("sgp")]
    [InlineData("sparse-push")]
    public void AnAgentAwayKeepsItsStateAndThePushSumWeightsStillSumToN(string method)
    {
        var config = Config(method, 0.3);
        using var experiment = GossipExperiment.Create(config, GossipMessageLossTests.DataRoot(), Path.Combine(_dir, method));
        var runner = experiment.Runner;
        float[][] z = runner.Agents.Select(a => a.Node.Z.ToArray()).ToArray();
        float[] w = runner.Agents.Select(a => a.Node.W).ToArray();
        int away = 0, back = 0;
        var wasAway = new bool[Agents];
        runner.IterationCompleted = _ =>
        {
            long t = runner.Iteration - 1;
            for (int i = 0; i < Agents; i++)
            {
                var node = runner.Agents[i].Node;
                bool isAway = GossipExperiment.IsAway(config, t, i);
                if (isAway)
                {
                    away++;
                    Assert.True(node.Z.AsSpan().SequenceEqual(z[i]) && node.W == w[i], $"agent {i} moved while away at iteration {t}");
                }
                else if (wasAway[i])
                {
                    back++;
                }
                wasAway[i] = isAway;
                z[i] = node.Z.ToArray();
                w[i] = node.W;
            }
            Assert.Equal(Agents, runner.Agents.Sum(a => (double)a.Node.W), 1e-5);
        };
        for (int e = 0; e < Epochs; e++) runner.RunEpoch();
        Assert.True(away > 0 && back > 0, $"seed 4 at 30% sends someone away and back in {runner.Iteration} iterations ({away} away, {back} back)");
        Assert.True(runner.Agents.Select(a => a.Node.W).Distinct().Count() > 1, "the shares kept for absent agents spread the weights");
    }

    [Fact]
    public void NoAbsenceIsThePlainTransportAndEachDrawIsAWindowsAndAnAgentsOwn()
    {
        Assert.IsType<InProcessTransport>(GossipExperiment.Transport(Config("sgp", 0), new TrafficLedger()));
        Assert.IsType<DroppingTransport>(GossipExperiment.Transport(Config("sgp", 0.3), new TrafficLedger()));
        var config = Config("sgp", 0.3) with { AbsenceIterations = 5 };
        int hits = 0, draws = 0;
        for (long window = 0; window < 400; window++)
        {
            for (int i = 0; i < 50; i++, draws++)
            {
                bool away = GossipExperiment.IsAway(config, window * 5, i);
                Assert.All(Enumerable.Range(1, 4), k => Assert.Equal(away, GossipExperiment.IsAway(config, window * 5 + k, i)));
                if (away) hits++;
            }
        }
        Assert.InRange(hits / (double)draws, 0.28, 0.32);
    }

    [Theory]
    [InlineData("sgp", -0.1, 10, "--absence must be a probability")]
    [InlineData("sgp", double.NaN, 10, "--absence must be a probability")]
    [InlineData("dpsgd", 0.1, 10, "--absence needs a push-sum method")]
    [InlineData("sgp", 0.1, 0, "--absence-iterations must be positive")]
    public void BadValuesAreRefusedNamingTheOption(string method, double absence, int iterations, string error)
    {
        var e = Assert.Throws<ArgumentException>(() => (Config(method, absence) with { AbsenceIterations = iterations }).Validate());
        Assert.StartsWith(error, e.Message, StringComparison.Ordinal);
    }
}
