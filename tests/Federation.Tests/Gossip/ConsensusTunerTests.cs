using NanoFed.Federation.Compression;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using Xunit;

namespace NanoFed.Tests.Federation;

public class ConsensusTunerTests
{
    private static ConsensusTuner Tuner(double keep, int iterations, TensorLayout layout, ulong seed = 3, double momentum = 0) =>
        new(g => new DifferenceGossip(new ExponentialGraph(8), new TopKCompressor(keep), g, layout), layout, iterations, seed,
            momentum > 0 ? new AgentSteps(momentum, QuasiGlobal: true) : null);

    [Fact]
    public void ErrorIsTheMeanSquaredDistanceToTheAverage()
    {
        var protocol = new PushSum(new DirectedRing(3));
        GossipNode[] nodes = [protocol.CreateNode([1, 0]), protocol.CreateNode([3, 0]), protocol.CreateNode([5, 6])];
        nodes[2].W = 2; // x_2 = (2.5, 3): the error is of the estimates z / w
        double[] mean = [(1 + 3 + 2.5) / 3.0, 1];
        double expected = (Math.Pow(1 - mean[0], 2) + 1 + Math.Pow(3 - mean[0], 2) + 1 + Math.Pow(2.5 - mean[0], 2) + 4) / 3;
        Assert.Equal(expected, ConsensusTuner.Error(nodes), 1e-12);
    }

    [Fact]
    public void RandomStartHasTheExpectedErrorAndExactGossipReachesConsensus()
    {
        // Uncompressed differences with γ = 1 are push-sum: on the exponential graph of 8 nodes one period (3 steps) averages exactly.
        var layout = new TensorLayout(300, 200);
        var trial = Tuner(1, 3, layout).Trial(1f);
        Assert.Equal(500 * 7 / 8.0, trial.InitialError, 500 * 7 / 8.0 * 0.05); // E e(0) = d (n − 1) / n for N(0, 1) starts
        Assert.True(trial.Ratio < 1e-10, $"ratio {trial.Ratio}");
        Assert.True(trial.Stable);
        Assert.Equal(3, trial.Iterations);
    }

    [Fact]
    public void SweepFlagsTheDivergentStepAndPicksTheLowestStableError()
    {
        // Form (B) at keep 5% diverges for γ = 1 (specs: γ ≥ 0.5 diverges at 1%) and contracts for small γ.
        var layout = new TensorLayout(1000, 600);
        var tuner = Tuner(0.05, 200, layout);
        var trials = tuner.Sweep([1f, 0.1f, 0.02f]);
        Assert.False(trials[0].Stable, $"γ = 1: ratio {trials[0].Ratio} after {trials[0].Iterations}");
        Assert.True(trials[2].Stable);
        var best = ConsensusTuner.Best(trials)!;
        Assert.True(best.Stable);
        Assert.All(trials.Where(t => t.Stable), t => Assert.True(best.FinalError <= t.FinalError));
        Assert.True(best.Ratio < 0.5, $"best γ {best.Gamma}: ratio {best.Ratio}");
    }

    [Fact]
    public void SameSeedGivesTheSameTrialAndEveryGammaTheSameStart()
    {
        var layout = new TensorLayout(400);
        var a = Tuner(0.05, 30, layout).Trial(0.05f);
        var b = Tuner(0.05, 30, layout).Trial(0.05f);
        Assert.Equal(a, b);
        Assert.Equal(a.InitialError, Tuner(0.05, 30, layout).Trial(0.2f).InitialError);
        Assert.NotEqual(a.InitialError, Tuner(0.05, 30, layout, seed: 4).Trial(0.05f).InitialError);
    }

    [Fact]
    public void BestIgnoresUnstableTrialsAndReturnsNullWhenNoneIsStable()
    {
        GammaTrial[] trials = [new(1f, 5, 10, double.NaN), new(0.5f, 100, 10, 11), new(0.1f, 100, 10, 2), new(0.05f, 100, 10, 1), new(0.01f, 100, 10, 1)];
        Assert.Equal(0.05f, ConsensusTuner.Best(trials)!.Gamma);
        Assert.Null(ConsensusTuner.Best(trials[..2]));
    }

    [Fact]
    public void RejectsBadArguments()
    {
        var layout = new TensorLayout(10);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ConsensusTuner(g => new PushSum(new DirectedRing(2)), layout, 0));
        Assert.Throws<ArgumentNullException>(() => new ConsensusTuner(null!, layout, 5));
        ConsensusTuner With(AgentSteps steps) => new(g => new PushSum(new DirectedRing(2)), layout, 5, steps: steps);
        Assert.Throws<ArgumentOutOfRangeException>(() => With(new AgentSteps(1, QuasiGlobal: true)));
        Assert.Throws<ArgumentOutOfRangeException>(() => With(new AgentSteps(-0.1)));
        Assert.Throws<ArgumentException>(() => With(new AgentSteps(0, QuasiGlobal: true)));
        Assert.Throws<ArgumentException>(() => With(new AgentSteps(0, Nesterov: true)));
        Assert.Throws<ArgumentOutOfRangeException>(() => With(new AgentSteps(UpdateTracking: 0)));
        Assert.Throws<ArgumentOutOfRangeException>(() => With(new AgentSteps(UpdateTracking: 1.5)));
    }

    /// <summary>
    /// Quasi-global momentum feeds each consensus move back into later steps (about 1/(1 − μ) times over): at keep 5%
    /// γ = 0.05 contracts e by 2,700x in 200 iterations alone and grows it with μ = 0.9, where a ten times smaller γ
    /// contracts; μ = 0 is the plain tuner, bit for bit.
    /// </summary>
    [Fact]
    public void QuasiGlobalMomentumMovesTheStableStepsDown()
    {
        var layout = new TensorLayout(1000, 600);
        var plain = Tuner(0.05, 200, layout).Trial(0.05f);
        Assert.True(plain.Stable && plain.Ratio < 0.01, $"alone: ratio {plain.Ratio}");
        Assert.Equal(plain, Tuner(0.05, 200, layout, momentum: 0).Trial(0.05f));
        var momentum = Tuner(0.05, 200, layout, momentum: 0.9);
        var large = momentum.Trial(0.05f);
        Assert.False(large.Stable, $"with momentum: ratio {large.Ratio}");
        var small = momentum.Trial(0.002f);
        Assert.True(small.Stable && small.Ratio < 0.2, $"γ = 0.002 with momentum: ratio {small.Ratio}");
        Assert.Equal(small, Tuner(0.05, 200, layout, momentum: 0.9).Trial(0.002f));
    }

    /// <summary>
    /// Update tracking with exact gossip (uncompressed differences, γ = 1): the tuner's zero-gradient steps reproduce the
    /// stability of GlobalUpdateTrackingTests' direct simulation (experiments/gut-stability.py: spectral radius per step
    /// 0.73 at μ = 0.3 and 1.2 at μ = 0.9 on the one-peer exponential graph, 0.95 at μ = 0.9 on the bidirectional
    /// ring); gossip alone averages the exponential graph in one period, and local momentum, applying each correction
    /// about 1/(1 − β) times over, turns μ = 0.9 unstable on the ring too.
    /// </summary>
    [Theory]
    [InlineData(true, 0.0, 0.3, true)]
    [InlineData(true, 0.0, 0.9, false)]
    [InlineData(false, 0.0, 0.9, true)]
    [InlineData(false, 0.9, 0.9, false)]
    public void UpdateTrackingChangesTheConsensusDynamicsAsOnTheGraphsSpectrum(bool exponential, double momentum, double mu, bool stable)
    {
        var layout = new TensorLayout(40, 24);
        ITopology graph = exponential ? new ExponentialGraph(8) : new UndirectedRing(8);
        var tuner = new ConsensusTuner(g => new DifferenceGossip(graph, new TopKCompressor(1), g, layout), layout, 300, 5,
            new AgentSteps(momentum, UpdateTracking: mu));
        var trial = tuner.Trial(1f);
        Assert.True(trial.Stable == stable && (!stable || trial.Ratio < 1e-3), $"ratio {trial.Ratio} after {trial.Iterations}");
        var alone = new ConsensusTuner(g => new DifferenceGossip(graph, new TopKCompressor(1), g, layout), layout, 300, 5).Trial(1f);
        Assert.True(alone.Ratio < 1e-6, $"gossip alone: ratio {alone.Ratio}");
    }
}
