using NanoFed.Autograd;
using NanoFed.Nets.Models;
using Xunit;

namespace NanoFed.Tests.Models;

/// <summary>The small CNN on 28×28 grey images.</summary>
public class SmallCnnTests
{
    [Theory]
    [InlineData(0, 1600)]
    [InlineData(1, 3136)]
    public void FeaturesHaveTheDocumentedSize(int padding, int features)
    {
        var model = SmallCnn.Create(new RngStream(1, 0), padding: padding);
        var (front, back) = model.Split(7);
        var tape = new Tape();
        var f = front.Forward(tape, new Variable(Vgg11Tests.Random(new Shape(3, 1, 28, 28), 4)));
        Assert.Equal(new Shape(3, features), f.Shape);
        Assert.Equal(new Shape(3, 10), back.Forward(tape, f).Shape);
        tape.Reset();
    }

    [Fact]
    public void DefaultInitializationIsUniformWithinOneOverSqrtFanIn()
    {
        var model = SmallCnn.Create(new RngStream(2, 0));
        foreach (var (name, p) in model.NamedParameters())
        {
            int fanIn = name.StartsWith("conv1", StringComparison.Ordinal) ? 9 : name.StartsWith("conv2", StringComparison.Ordinal) ? 288
                : name.StartsWith("fc1", StringComparison.Ordinal) ? 1600 : 128;
            float bound = 1f / MathF.Sqrt(fanIn);
            Assert.True(p.Data.ToArray().All(v => Math.Abs(v) <= bound), name);
            Assert.True(p.Data.ToArray().Max() > 0.8f * bound, name);
        }
    }
}
