using NanoFed.Autograd;
using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests.Models;

/// <summary>VGG11 variants: output shapes on 32×32 inputs, torchvision's initialization, EcoFed's device cut.</summary>
public class Vgg11Tests
{
    [Theory]
    [InlineData(Vgg11Variant.BatchNorm)]
    [InlineData(Vgg11Variant.SparsePush)]
    [InlineData(Vgg11Variant.EcoFed)]
    public void ForwardGivesLogitsPerImage(Vgg11Variant variant)
    {
        var model = Vgg11.Create(variant, new RngStream(5, 0));
        var tape = new Tape();
        var x = new Variable(Random(new Shape(2, 3, 32, 32), 9));
        var y = model.Forward(tape, x);
        Assert.Equal(new Shape(2, 10), y.Shape);
        tape.Reset();
    }

    [Fact]
    public void EcoFedDeviceCutAtEightIsTwoConvBlocks()
    {
        var model = Vgg11.Create(Vgg11Variant.EcoFed, new RngStream(5, 0));
        var (front, _) = model.Split(8);
        Assert.Equal(76_032, front.ParameterCount());
        Assert.Empty(front.NamedBuffers());
        var tape = new Tape();
        var a = front.Forward(tape, new Variable(Random(new Shape(1, 3, 32, 32), 2)));
        Assert.Equal(new Shape(1, 128, 8, 8), a.Shape);
        tape.Reset();
    }

    [Fact]
    public void InitializationFollowsTorchvision()
    {
        var model = Vgg11.Create(Vgg11Variant.BatchNorm, new RngStream(8, 0));
        foreach (var (name, p) in model.NamedParameters())
        {
            var v = p.Data.Span;
            if (name.EndsWith(".bias", StringComparison.Ordinal) && !IsBatchNorm(model, name))
                Assert.True(v.ToArray().All(e => e == 0), $"{name} should be zero");
            else if (p.Shape.Rank == 4)
                Assert.InRange(ResNetCifarTests.Moments(v).Std / Math.Sqrt(2.0 / Init.FanOut(p.Shape)), 0.9, 1.1);
            else if (p.Shape.Rank == 2)
                Assert.InRange(ResNetCifarTests.Moments(v).Std, 0.009, 0.011);
        }
    }

    private static bool IsBatchNorm(Sequential model, string name) =>
        model.Children.Any(c => c.Value is BatchNorm2d && name.StartsWith(c.Name + ".", StringComparison.Ordinal));

    internal static Tensor Random(Shape shape, ulong seed)
    {
        var t = Tensor.Zeros(shape);
        new RngStream(seed, 99).FillNormal(t.Span);
        return t;
    }
}
