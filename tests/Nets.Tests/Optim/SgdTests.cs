using NanoFed.Autograd;
using NanoFed.Nets.Optim;
using Xunit;

namespace NanoFed.Tests.Optim;

/// <summary>Three SGD steps per option set against torch.optim.SGD (tests/fixtures/gen/gen_models.py).</summary>
public class SgdTests
{
    private static readonly Fixture Fx = Fixture.Load("sgd");
    private const int Params = 3, Steps = 3;

    [Theory]
    [InlineData("plain", 0.1, 0.0, 0.0, 0.0, false)]
    [InlineData("momentum", 0.1, 0.9, 0.0, 0.0, false)]
    [InlineData("dampening", 0.05, 0.9, 0.3, 0.0, false)]
    [InlineData("nesterov", 0.1, 0.9, 0.0, 0.0, true)]
    [InlineData("decay", 0.1, 0.9, 0.0, 5e-4, false)]
    [InlineData("decay_nomomentum", 0.1, 0.0, 0.0, 1e-2, false)]
    [InlineData("nesterov_decay", 0.02, 0.8, 0.0, 1e-3, true)]
    public void StepsMatchPyTorch(string name, double lr, double momentum, double dampening, double weightDecay, bool nesterov)
    {
        var ps = Enumerable.Range(0, Params).Select(j => new Variable(Fx.Tensor($"init.p{j}"), requiresGrad: true)).ToArray();
        var sgd = new Sgd(ps, lr, momentum, dampening, weightDecay, nesterov);
        for (int s = 0; s < Steps; s++)
        {
            for (int j = 0; j < Params; j++)
            {
                Fx.Values($"grad{s}.p{j}").CopyTo(ps[j].GradForAccumulation()!.Span);
            }
            var before = ps.Select(p => p.Grad!.ToArray()).ToArray();
            sgd.Step();
            for (int j = 0; j < Params; j++)
            {
                Close.Assert(Fx.Values($"{name}.step{s}.p{j}"), ps[j].Data.Span, $"{name} step {s} p{j}");
                Close.Identical(before[j], ps[j].Grad!.Span, "the gradient is left as it was");
            }
        }
        for (int j = 0; j < Params; j++)
        {
            if (momentum == 0) Assert.Null(sgd.MomentumBuffer(j));
            else Close.Assert(Fx.Values($"{name}.buf.p{j}"), sgd.MomentumBuffer(j)!.Span, $"{name} buffer p{j}");
        }
        Assert.Equal(Steps, sgd.StepCount);
    }

    [Fact]
    public void ParametersWithoutGradientOrFrozenAreLeftAlone()
    {
        var a = new Variable(Tensor.Full(new Shape(4), 1f), requiresGrad: true);
        var b = new Variable(Tensor.Full(new Shape(4), 1f), requiresGrad: true);
        b.GradForAccumulation()!.Span.Fill(1f);
        b.RequiresGrad = false;
        new Sgd([a, b], 0.1, 0.9).Step();
        Assert.All(a.Data.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(b.Data.ToArray(), v => Assert.Equal(1f, v));
    }

    [Fact]
    public void MomentumStateRoundTripsThroughACheckpoint()
    {
        Variable P() => new(Tensor.Full(new Shape(5), 2f), requiresGrad: true);
        var (p1, p2) = (P(), P());
        var s1 = new Sgd([p1], 0.1, 0.9);
        var s2 = new Sgd([p2], 0.1, 0.9);
        for (int step = 0; step < 3; step++)
        {
            foreach (var p in new[] { p1, p2 }) p.GradForAccumulation()!.Span.Fill(0.5f + step);
            s1.Step();
            if (step == 1)
            {
                s2.SetMomentumBuffer(0, s1.MomentumBuffer(0));
                p1.Data.Span.CopyTo(p2.Data.Span);
            }
            else if (step == 2)
            {
                s2.Step();
            }
        }
        Close.Identical(p1.Data.Span, p2.Data.Span, "parameters after resuming");
        Close.Identical(s1.MomentumBuffer(0)!.Span, s2.MomentumBuffer(0)!.Span, "momentum after resuming");
        s1.ResetState();
        Assert.Null(s1.MomentumBuffer(0));
    }

    [Fact]
    public void InvalidOptionsThrow()
    {
        Assert.Throws<ArgumentException>(() => new Sgd([], 0.1, nesterov: true));
        Assert.Throws<ArgumentException>(() => new Sgd([], 0.1, 0.9, 0.1, nesterov: true));
        Assert.Throws<ArgumentOutOfRangeException>(() => new Sgd([], -1));
    }
}
