using System.Globalization;
using NanoFed.Autograd;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests.Models;

/// <summary>
/// Thirty small random architectures (tests/fixtures/gen/gen_random_arch.py: convolutions of kernel 1 to 7, stride
/// 1 or 2, padding up to "same", including "same" 5×5 and 7×7 filters wider than their maps; batch norm in training
/// mode, ReLU, max and average pooling, linear layers) built in NanoFed from the fixture's description and compared
/// with PyTorch in float64: output, input gradient, every parameter gradient and the running statistics afterwards.
/// </summary>
public class RandomArchitectureTests
{
    private static readonly Fixture Fx = Fixture.Load("random_arch");

    /// <summary>Every case of the fixture.</summary>
    public static TheoryData<string> Cases => new(Fx.Cases);

    [Fact]
    public void FixtureHoldsThirtyArchitectures() => Assert.Equal(30, Fx.Cases.Count());

    [Theory]
    [MemberData(nameof(Cases))]
    public void MatchesPyTorch(string name)
    {
        var model = Build(Fx.Meta(name, "arch"));
        string prefix = name + ".state.";
        model.LoadStateDict(model.StateDict().ToDictionary(e => e.Name, e => Fx.Tensor(prefix + e.Name)));
        model.Train();

        var tape = new Tape();
        var x = new Variable(Fx.Tensor(name + ".x"), requiresGrad: true);
        var y = model.Forward(tape, x);
        tape.Backward(y, Fx.Tensor(name + ".gout"));

        string arch = Fx.Meta(name, "arch");
        Close.Assert(Fx.Values(name + ".out"), y.Data.Span, $"{name} ({arch}) out");
        Close.Assert(Fx.Values(name + ".grad.x"), x.Grad!.Span, $"{name} ({arch}) dx");
        foreach (var (p, v) in model.NamedParameters()) Close.Assert(Fx.Values($"{name}.grad.{p}"), v.Grad!.Span, $"{name} ({arch}) d{p}");
        foreach (var (b, v) in model.NamedBuffers())
        {
            if (b.EndsWith("num_batches_tracked", StringComparison.Ordinal)) continue;
            Close.Assert(Fx.Values($"{name}.after.{b}"), v.Span, $"{name} ({arch}) {b}");
        }
        tape.Reset();
    }

    /// <summary>The Sequential a description names ("conv 2 3 5 1 2 0;bn 3;relu;...", see gen_random_arch.py), children "0", "1", ...</summary>
    private static Sequential Build(string arch)
    {
        var rng = new RngStream(1, 0);
        var layers = new List<Module>();
        foreach (string layer in arch.Split(';'))
        {
            string[] f = layer.Split(' ');
            int Arg(int i) => int.Parse(f[i], CultureInfo.InvariantCulture);
            layers.Add(f[0] switch
            {
                "conv" => new Conv2d(Arg(1), Arg(2), Arg(3), rng, stride: Arg(4), padding: Arg(5), bias: Arg(6) == 1),
                "bn" => new BatchNorm2d(Arg(1)),
                "relu" => new ReLU(),
                "maxpool" => new MaxPool2d(Arg(1), Arg(2), Arg(3)),
                "avgpool" => new AvgPool2d(Arg(1), Arg(2), Arg(3)),
                "flatten" => new Flatten(),
                "linear" => new Linear(Arg(1), Arg(2), rng),
                _ => throw new InvalidDataException($"random_arch: unknown layer '{layer}'"),
            });
        }
        return new Sequential(layers.ToArray());
    }
}
