using FsCheck;
using FsCheck.Fluent;
using NanoFed.Autograd;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Gossip;
using NanoFed.Nets.Optim;
using Xunit;

namespace NanoFed.Tests.Decentralized;

/// <summary>Quasi-global momentum (Lin et al. 2021, Alg. 1): the buffer's update and an agent's steps with it.</summary>
public class QuasiGlobalMomentumTests
{
    /// <summary>
    /// Begin folds (Previous − x) / η_prev into m̂ with weight 1 − μ, hands m̂ to the optimizer's buffers (parameter by
    /// parameter in the layout's order) and remembers x and the optimizer's current rate.
    /// </summary>
    [Fact]
    public void BeginFoldsTheLastChangeIntoTheBufferAndHandsItToTheOptimizer()
    {
        var gen =
            from sizes in Gen.ArrayOf(Gen.Choose(1, 9), 3)
            from values in Gen.ArrayOf(Gen.Choose(-10_000, 10_000).Select(v => v / 1000f), 3 * sizes.Sum())
            from mu in Gen.Elements(0.5, 0.9, 0.99)
            from lr in Gen.Elements(0.1, 0.01, 0.37)
            select (sizes, values, mu, lr);
        Prop.ForAll(Arb.From(gen), s =>
        {
            var layout = new TensorLayout(s.sizes);
            int n = layout.Total;
            var parameters = s.sizes.Select(size => new Variable(Tensor.Zeros(new Shape(size)), requiresGrad: true)).ToList();
            var sgd = new Sgd(parameters, 0.05, s.mu);
            var qgm = new QuasiGlobalMomentum(n, s.mu);
            var (m0, previous, x) = (s.values[..n], s.values[n..(2 * n)], s.values[(2 * n)..]);
            m0.CopyTo(qgm.Buffer, 0);
            previous.CopyTo(qgm.Previous, 0);
            qgm.PreviousLr = (float)s.lr;
            qgm.Begin(x, sgd, layout);
            for (int k = 0; k < n; k++)
            {
                double want = s.mu * m0[k] + (1 - s.mu) * (previous[k] - x[k]) / (float)s.lr;
                Assert.True(Math.Abs(qgm.Buffer[k] - want) <= 1e-5 * Math.Max(1, Math.Abs(want)), $"m̂[{k}] = {qgm.Buffer[k]}, want {want}");
            }
            for (int l = 0; l < layout.Count; l++) Assert.Equal(layout.Slice(qgm.Buffer, l).ToArray(), sgd.MomentumBuffer(l)!.Span.ToArray());
            Assert.Equal(x, qgm.Previous);
            Assert.Equal(0.05f, qgm.PreviousLr);
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Fact]
    public void TheFirstBeginLeavesTheBufferAtZero()
    {
        var parameters = new List<Variable> { new(Tensor.Zeros(new Shape(4)), requiresGrad: true) };
        var qgm = new QuasiGlobalMomentum(4, 0.9);
        qgm.Begin([1, 2, 3, 4], new Sgd(parameters, 0.1, 0.9), new TensorLayout(4));
        Assert.Equal(new float[4], qgm.Buffer);
        Assert.Equal([1f, 2, 3, 4], qgm.Previous);
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(1.0)]
    public void AMomentumOutsideTheOpenUnitIntervalIsRefused(double mu) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new QuasiGlobalMomentum(3, mu));

    private static Agent Create(bool quasiGlobal, bool nesterov = false) => TinyAgent.Create(quasiGlobal, nesterov);

    /// <summary>
    /// An agent with quasi-global momentum steps as SGD whose momentum buffer is set, before each step, to
    /// m̂ = μ·m̂ + (1 − μ)·(x_before − x_after_gossip) / η: the reference is an agent with local momentum whose buffers
    /// are overwritten with that m̂ by hand. The first step (m̂ = 0) is plain SGD's first step; the gossip between the
    /// steps is simulated by moving z.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void StepsFollowAlgorithmOneOfTheQuasiGlobalMomentumPaper(bool nesterov)
    {
        using var qgm = Create(quasiGlobal: true, nesterov);
        using var reference = Create(quasiGlobal: false, nesterov);
        int d = qgm.Layout.Total;
        var batches = qgm.Loader.Epoch(0).Take(3).ToArray();
        var x0 = qgm.Node.Estimate();
        qgm.Step(batches[0]);
        reference.Step(batches[0]);
        Assert.Equal(reference.Node.Z, qgm.Node.Z);

        var m = new float[d];
        var before = x0;
        for (int s = 1; s < batches.Length; s++)
        {
            // "Gossip": the node moves to a point the step did not reach.
            for (int k = 0; k < d; k++) qgm.Node.Z[k] = 0.9f * qgm.Node.Z[k] + 0.01f * MathF.Sin(k + s);
            qgm.Node.Z.CopyTo(reference.Node.Z, 0);
            var after = qgm.Node.Estimate();
            for (int k = 0; k < d; k++) m[k] = 0.9f * m[k] + (float)((1 - 0.9) / 0.1f) * (before[k] - after[k]);
            for (int l = 0; l < reference.Layout.Count; l++)
                reference.Optimizer.SetMomentumBuffer(l, Tensor.FromArray(reference.Layout.Slice(m, l).ToArray(), reference.Optimizer.Parameters[l].Data.Shape));
            qgm.Step(batches[s]);
            reference.Step(batches[s]);
            Assert.Equal(reference.Node.Z, qgm.Node.Z);
            Assert.Equal(m, qgm.QuasiGlobal!.Buffer);
            before = after;
        }
    }

    [Fact]
    public void SnapshotAndRestoreCarryTheBufferThePreviousPointAndTheRate()
    {
        using var a = Create(quasiGlobal: true);
        using var b = Create(quasiGlobal: true);
        var batches = a.Loader.Epoch(0).Take(3).ToArray();
        a.Step(batches[0]);
        for (int k = 0; k < a.Node.Z.Length; k++) a.Node.Z[k] *= 0.5f;
        a.Step(batches[1]);
        var state = a.Snapshot().ToDictionary(e => e.Name, e => e.Value.Span.ToArray(), StringComparer.Ordinal);
        b.Restore(state);
        Assert.Equal(a.QuasiGlobal!.Buffer, b.QuasiGlobal!.Buffer);
        Assert.Equal(a.QuasiGlobal.Previous, b.QuasiGlobal.Previous);
        Assert.Equal(a.QuasiGlobal.PreviousLr, b.QuasiGlobal.PreviousLr);
        a.Step(batches[2]);
        b.Step(batches[2]);
        Assert.Equal(a.Node.Z, b.Node.Z);

        state.Remove("qgm.previous");
        using var c = Create(quasiGlobal: true);
        var error = Assert.Throws<ArgumentException>(() => c.Restore(state));
        Assert.Contains("qgm.previous", error.Message, StringComparison.Ordinal);
        state["qgm.previous"] = new float[a.Layout.Total];
        state["qgm.buffer"] = [.. state["qgm.buffer"].Select((v, k) => k == 7 ? float.NaN : v)];
        error = Assert.Throws<ArgumentException>(() => c.Restore(state));
        Assert.Contains("qgm.buffer", error.Message, StringComparison.Ordinal);
    }
}
