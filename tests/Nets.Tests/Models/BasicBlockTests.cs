using NanoFed.Autograd;
using NanoFed.Nets.Models;
using Xunit;

namespace NanoFed.Tests.Models;

/// <summary>
/// Residual blocks (option A and B shortcuts, identity) against PyTorch in float64 (tests/fixtures/gen/gen_models.py),
/// in training mode (batch statistics, running statistics updated) and evaluation mode (running statistics):
/// output, input gradient, every parameter gradient and the running statistics afterwards; and with GroupNorm and
/// EvoNorm-S0 (no running statistics; EvoNorm-S0 blocks have no ReLU).
/// </summary>
public class BasicBlockTests
{
    private static readonly Fixture Fx = Fixture.Load("blocks");

    [Theory]
    [InlineData("a_train", 8, 16, 2, ResNetShortcut.A, true)]
    [InlineData("b_train", 8, 16, 2, ResNetShortcut.B, true)]
    [InlineData("b_eval", 8, 16, 2, ResNetShortcut.B, false)]
    [InlineData("identity_eval", 8, 8, 1, ResNetShortcut.A, false)]
    [InlineData("b_group4", 8, 16, 2, ResNetShortcut.B, true, "group:4")]
    [InlineData("a_evonorm8", 8, 16, 2, ResNetShortcut.A, true, "evonorm:8")]
    [InlineData("b_evonorm4", 8, 16, 2, ResNetShortcut.B, true, "evonorm:4")]
    [InlineData("identity_group2", 8, 8, 1, ResNetShortcut.A, false, "group:2")]
    public void MatchesPyTorch(string name, int cin, int cout, int stride, ResNetShortcut shortcut, bool train, string norm = "batch")
    {
        var block = new BasicBlock(cin, cout, stride, shortcut, new RngStream(1, 0), NormSpec.Parse(norm));
        string prefix = name + ".state.";
        block.LoadStateDict(block.StateDict().ToDictionary(e => e.Name, e => Fx.Tensor(prefix + e.Name)));
        block.Train(train);

        var tape = new Tape();
        var x = new Variable(Fx.Tensor(name + ".x"), requiresGrad: true);
        var y = block.Forward(tape, x);
        tape.Backward(y, Fx.Tensor(name + ".gout"));

        Close.Assert(Fx.Values(name + ".out"), y.Data.Span, name + " out");
        Close.Assert(Fx.Values(name + ".grad.x"), x.Grad!.Span, name + " dx");
        foreach (var (p, v) in block.NamedParameters()) Close.Assert(Fx.Values($"{name}.grad.{p}"), v.Grad!.Span, $"{name} d{p}");
        foreach (var (b, v) in block.NamedBuffers())
        {
            if (b.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            Close.Assert(Fx.Values($"{name}.after.{b}"), v.Span, $"{name} {b}");
        }
        tape.Reset();
    }
}
