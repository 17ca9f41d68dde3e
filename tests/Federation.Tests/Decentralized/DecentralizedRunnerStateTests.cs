using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using NanoFed.Federation.Topology;
using NanoFed.Nets;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Optim;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests.Decentralized;

/// <summary>
/// Schedules, several test sets, consensus rounds, checkpoints and determinism of <see cref="DecentralizedRunner"/> on
/// synthetic 10×10 images of 4 classes (a class-dependent bright square plus noise), 4 agents of 32 images, batch 8
/// (4 iterations per epoch), a conv-BN-linear model (or conv-GroupNorm/EvoNorm-linear, without buffers).
/// </summary>
[Collection(nameof(WorkerCountCollection))]
public class DecentralizedRunnerStateTests
{
    private const int Agents = 4, PerAgent = 32, BatchSize = 8, Classes = 4, Side = 10;

    private static ImageDataset Synthetic(int count, ulong stream, Func<int, int> label)
    {
        var rng = new RngStream(99, stream);
        var pixels = new byte[count * Side * Side];
        var labels = new int[count];
        for (int n = 0; n < count; n++)
        {
            labels[n] = label(n);
            int r0 = labels[n] / 2 * 5, c0 = labels[n] % 2 * 5;
            for (int r = 0; r < Side; r++)
                for (int c = 0; c < Side; c++)
                {
                    bool on = r >= r0 && r < r0 + 5 && c >= c0 && c < c0 + 5;
                    pixels[n * Side * Side + r * Side + c] = (byte)((on ? 160 : 0) + (rng.NextUInt32() & 63));
                }
        }
        return new ImageDataset(pixels, labels, 1, Side, Side, Classes);
    }

    private static Sequential Model(Func<Module>? norm = null)
    {
        var rng = new RngStream(3, 0);
        return new Sequential(("conv", new Conv2d(1, 4, 3, rng)), ("bn", norm?.Invoke() ?? new BatchNorm2d(4)), ("relu", new ReLU()), ("flatten", new Flatten()),
            ("fc", new Linear(4 * 8 * 8, Classes, rng)));
    }

    /// <summary>
    /// Agents on IID data, or (skewed) agent i holding only class i, over a directed ring (or <paramref name="topology"/>),
    /// the in-process transport wrapped by <paramref name="wrap"/> when given, normalization by <paramref name="norm"/> (default BatchNorm),
    /// local or quasi-global momentum, and update tracking with scaling <paramref name="tracking"/> when given.
    /// </summary>
    internal static DecentralizedRunner Runner(Func<ITopology, TensorLayout, IGossip>? gossip, bool skewed = false, ILrSchedule? schedule = null,
        Communication communication = Communication.Gossip, ITopology? topology = null, Func<ITransport, ITransport>? wrap = null,
        Func<Module>? norm = null, bool quasiGlobal = false, double? tracking = null)
    {
        var agents = Enumerable.Range(0, Agents)
            .Select(i => new Agent(i, Model(norm), Synthetic(PerAgent, (ulong)i + 1, n => skewed ? i : n % Classes), BatchSize, 0.05, 17, Normalization.Identity(1),
                quasiGlobalMomentum: quasiGlobal, updateTracking: tracking))
            .ToArray();
        var protocol = gossip?.Invoke(topology ?? new DirectedRing(Agents), agents[0].Layout);
        var tests = new[] { ("first", Synthetic(40, 10, n => n % Classes)), ("second", Synthetic(24, 11, n => (n + 1) % Classes)) };
        var ledger = new TrafficLedger();
        ITransport transport = new InProcessTransport(ledger);
        return new DecentralizedRunner(agents, communication, protocol, tests, Normalization.Identity(1), wrap?.Invoke(transport) ?? transport, ledger, schedule);
    }

    private static IGossip Sparse(ITopology t, TensorLayout l) => SparsePush.Create(t, l, keep: 0.1, gamma: 0.2f);

    [Theory]
    [InlineData(false, null)]
    [InlineData(true, null)]
    [InlineData(true, 0.5)]
    public void ResumingFromAnEpochCheckpointGivesBitIdenticalMetrics(bool quasiGlobal, double? tracking)
    {
        var schedule = new ConstantWarmup(new MultiStepLr(0.05, [8]), 4, 0.1);
        string path = Path.Combine(Path.GetTempPath(), $"nanofed-dec-{Guid.NewGuid():N}.safetensors");
        try
        {
            var full = Runner(Sparse, schedule: schedule, quasiGlobal: quasiGlobal, tracking: tracking);
            full.RunEpoch();
            full.Save(path, new Dictionary<string, string> { ["config"] = "x" });
            for (int e = 0; e < 2; e++) full.RunEpoch();

            var resumed = Runner(Sparse, schedule: schedule, quasiGlobal: quasiGlobal, tracking: tracking);
            var metadata = resumed.Load(path);
            Assert.Equal("x", metadata["config"]);
            Assert.Equal((1, 4L), (resumed.CompletedEpochs, resumed.Iteration));
            Assert.Single(resumed.History);
            for (int e = 0; e < 2; e++) resumed.RunEpoch();
            Assert.Equal(full.History, resumed.History);
            Assert.Equal(full.TrainingBytes, resumed.TrainingBytes);
            // Form (B) keeps public copies: they must have come back too, or the epochs after the resume differ.
            Assert.True(full.History[^1].BytesPerAgent > 0);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void LoadRejectsAForeignFileAndAMismatchedRun()
    {
        string path = Path.Combine(Path.GetTempPath(), $"nanofed-dec-{Guid.NewGuid():N}.safetensors");
        try
        {
            var runner = Runner(Sparse);
            runner.RunEpoch();
            runner.Save(path);
            var other = Runner(static (t, _) => new PushSum(t));
            var e = Assert.Throws<DataFormatException>(() => other.Load(path));
            Assert.Contains(path, e.Message, StringComparison.Ordinal);
            NanoFed.Nets.Checkpoints.SafeTensors.Write(path, []);
            Assert.Throws<DataFormatException>(() => runner.Load(path));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ScheduleSetsEveryAgentsRateEachIteration()
    {
        var runner = Runner(static (t, _) => new PushSum(t), schedule: new ConstantWarmup(new MultiStepLr(0.1, [6]), 4, 0.1));
        var first = runner.RunEpoch();
        Assert.Equal(0.01, first.Lr, 12);
        Assert.All(runner.Agents, a => Assert.Equal(0.01, a.Optimizer.Lr, 12));
        var second = runner.RunEpoch();
        // Iterations 4 and 5 at 0.1, then 6 and 7 after the milestone at 0.01.
        Assert.Equal(0.1 * 0.1, second.Lr, 12);
        Assert.Equal(0.1, runner.LrAt(5), 12);
    }

    [Fact]
    public void SecondaryTestSetsAreEvaluatedForAgentsEveryKEpochs()
    {
        var runner = Runner(static (t, _) => new PushSum(t));
        runner.SecondaryEvalEvery = 2;
        var one = runner.RunEpoch();
        var two = runner.RunEpoch();
        var three = runner.RunEpoch(fullEvaluation: true);
        Assert.Equal(["first", "second"], one.Tests.Select(t => t.Name));
        Assert.Equal((one.MeanAccuracy, one.MinAccuracy, one.MaxAccuracy, one.AveragedAccuracy),
            (one.Tests[0].MeanAccuracy!.Value, one.Tests[0].MinAccuracy!.Value, one.Tests[0].MaxAccuracy!.Value, one.Tests[0].AveragedAccuracy));
        Assert.Null(one.Tests[1].MeanAccuracy);
        Assert.InRange(one.Tests[1].AveragedAccuracy, 0, 1);
        Assert.NotNull(two.Tests[1].MeanAccuracy);
        Assert.NotNull(three.Tests[1].MeanAccuracy);
        Assert.True(two.Tests[1].MinAccuracy <= two.Tests[1].MeanAccuracy && two.Tests[1].MeanAccuracy <= two.Tests[1].MaxAccuracy);
        Assert.Equal(three.Tests, runner.EvaluateTests());
        Assert.Equal(3, runner.History.Count);
        var json = DecentralizedMetrics.ToJson(runner.History);
        Assert.Equal(runner.History, DecentralizedMetrics.FromJson(json));
        Assert.Contains("second_mean", DecentralizedMetrics.ToCsv(runner.History), StringComparison.Ordinal);
    }

    [Fact]
    public void ConsensusRoundsOnSkewedDataShrinkTheDistanceAndCountTheirBytesApart()
    {
        var runner = Runner(static (t, l) => SparsePush.Create(t, l, keep: 0.01, gamma: 0.05f), skewed: true);
        DecentralizedMetrics trained = runner.RunEpoch();
        trained = runner.RunEpoch();
        long trainingBytes = runner.TrainingBytes;
        var bnBefore = runner.Agents.Select(a => a.Model.NamedBuffers()[0].Buffer.Span.ToArray()).ToArray();
        const int Rounds = 20;
        var consensus = runner.RunConsensusRounds(Rounds);
        Assert.Equal(DecentralizedPhase.Consensus, consensus.Phase);
        Assert.Equal((Rounds, 2), (consensus.ConsensusRounds, consensus.Epoch));
        Assert.True(consensus.ConsensusDistance < 0.1 * trained.ConsensusDistance, $"{consensus.ConsensusDistance} vs {trained.ConsensusDistance}");
        // Dense push-sum over the directed ring: one serialized message per agent per round, 22 bytes of message header,
        // the d values in tensor "0" (13 bytes of header) and the weight in tensor "w" (13 + 4).
        int d = runner.Agents[0].Layout.Total;
        long perMessage = 22 + 13 + 4L * d + 17;
        Assert.Equal(Rounds * perMessage * Agents, runner.ConsensusBytes);
        Assert.Equal(Rounds * perMessage, consensus.BytesPerAgent);
        Assert.Equal(trainingBytes, runner.TrainingBytes);
        Assert.Equal(runner.ConsensusBytes, runner.Ledger.Total(MessagePhase.Consensus));
        Assert.Equal(Enumerable.Range(0, Rounds), runner.Ledger.Entries.Where(e => e.Phase == MessagePhase.Consensus).Select(e => e.Round).Distinct());
        Assert.Equal((trainingBytes + runner.ConsensusBytes) / (double)Agents, consensus.CumulativeBytesPerAgent);
        // Train-mode forward passes moved the BatchNorm running statistics.
        Assert.Contains(Enumerable.Range(0, Agents), i => !bnBefore[i].SequenceEqual(runner.Agents[i].Model.NamedBuffers()[0].Buffer.Span.ToArray()));
        Assert.Equal(Agents, runner.Agents.Sum(a => (double)a.Node.W), 4);

        // A checkpoint after the consensus rounds holds their result, and the runner and one loaded from it go on alike.
        string path = Path.Combine(Path.GetTempPath(), $"nanofed-dec-{Guid.NewGuid():N}.safetensors");
        try
        {
            runner.Save(path);
            var resumed = Runner(static (t, l) => SparsePush.Create(t, l, keep: 0.01, gamma: 0.05f), skewed: true);
            resumed.Load(path);
            Assert.Equal(runner.History, resumed.History);
            for (int i = 0; i < Agents; i++)
                foreach (var ((name, a), (_, b)) in runner.Agents[i].Model.StateDict().Zip(resumed.Agents[i].Model.StateDict()))
                    Assert.True(a.Span.SequenceEqual(b.Span), $"agent {i}'s {name}");
            runner.RunEpoch();
            resumed.RunEpoch();
            Assert.Equal(runner.History, resumed.History);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ConsensusRoundsThatMixBatchNormBringTheStatisticsTogetherAndCountTheirBytes()
    {
        static double Spread(DecentralizedRunner r)
        {
            var stats = r.Agents.Select(a => a.Model.NamedBuffers()[0].Buffer.Span.ToArray()).ToArray();
            return Enumerable.Range(0, stats[0].Length).Sum(k => stats.Max(v => v[k]) - stats.Min(v => v[k]));
        }
        DecentralizedRunner local = Runner(Sparse, skewed: true), mixed = Runner(Sparse, skewed: true);
        local.RunEpoch();
        mixed.RunEpoch();
        const int Rounds = 20;
        var l = local.RunConsensusRounds(Rounds);
        var m = mixed.RunConsensusRounds(Rounds, mixBatchNorm: true);
        Assert.True(Spread(mixed) < 0.5 * Spread(local), $"{Spread(mixed)} vs {Spread(local)}");
        // The parameters follow the same trajectory; the buffers add one dense push-sum message per agent and round.
        Assert.Equal(l.ConsensusDistance, m.ConsensusDistance);
        long perMessage = 22 + 13 + 4L * mixed.Agents[0].BufferLength + 17;
        Assert.Equal(Rounds * perMessage * Agents, mixed.ConsensusBytes - local.ConsensusBytes);
    }

    [Theory]
    [InlineData("group")]
    [InlineData("evonorm")]
    public void ModelsWithoutBuffersTrainResumeAndSendNoBufferMessages(string kind)
    {
        Func<Module> norm = kind == "group" ? () => new GroupNorm(2, 4) : () => new EvoNormS0(4, 2);
        string path = Path.Combine(Path.GetTempPath(), $"nanofed-dec-{Guid.NewGuid():N}.safetensors");
        try
        {
            DecentralizedRunner local = Runner(Sparse, skewed: true, norm: norm), mixed = Runner(Sparse, skewed: true, norm: norm);
            Assert.Equal(0, local.Agents[0].BufferLength);
            local.RunEpoch();
            mixed.RunEpoch();
            mixed.Save(path, new Dictionary<string, string>());
            // Nothing "is never gossiped": mixing BatchNorm buffers adds no message and changes nothing.
            var l = local.RunConsensusRounds(6);
            var m = mixed.RunConsensusRounds(6, mixBatchNorm: true);
            Assert.Equal(local.ConsensusBytes, mixed.ConsensusBytes);
            Assert.Equal(l, m);
            Assert.True(m.Tests[0].AveragedAccuracy is >= 0 and <= 1);

            var resumed = Runner(Sparse, skewed: true, norm: norm);
            resumed.Load(path);
            Assert.Equal(m, resumed.RunConsensusRounds(6, mixBatchNorm: true));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void SwitchingProtocolsConservesThePushSumAverage()
    {
        // A non-regular digraph moves the weights away from 1; the switch must carry z and w, not restart at x with w = 1.
        var agents = Runner(static (t, _) => new PushSum(t)).Agents;
        var protocol = new PushSum(new RandomDigraph(Agents, 1, 1, 5));
        var ledger = new TrafficLedger();
        var runner = new DecentralizedRunner(agents, Communication.Gossip, protocol, [("first", Synthetic(8, 10, n => n % Classes))], Normalization.Identity(1),
            new InProcessTransport(ledger), ledger);
        runner.RunEpoch();
        Assert.Contains(runner.Agents, a => a.Node.W != 1);
        int d = runner.Agents[0].Layout.Total;
        var target = new double[d];
        double wSum = runner.Agents.Sum(a => (double)a.Node.W);
        for (int k = 0; k < d; k++) target[k] = runner.Agents.Sum(a => (double)a.Node.Z[k]) / wSum;
        runner.RunConsensusRounds(60, new PushSum(new ExponentialGraph(Agents)));
        Assert.True(GossipLoop.MaxError(runner.Agents.Select(a => a.Node).ToArray(), target) < 1e-4);
    }

    [Fact]
    public void SameSeedGivesIdenticalMetricsWithOneAndTwoWorkers()
    {
        int saved = Workers.Count;
        try
        {
            List<DecentralizedMetrics> Run()
            {
                var runner = Runner(Sparse, skewed: true, schedule: new ConstantWarmup(new ConstantLr(0.05), 4, 0.1));
                runner.RunEpoch();
                runner.RunEpoch();
                runner.RunConsensusRounds(5);
                return [.. runner.History];
            }
            Workers.Count = 2;
            var a = Run();
            Workers.Count = 1;
            var b = Run();
            Assert.Equal(a, b);
            Assert.Equal(3, a.Count);
        }
        finally
        {
            Workers.Count = saved;
        }
    }
}
