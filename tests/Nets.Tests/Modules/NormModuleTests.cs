using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests;

/// <summary>GroupNorm's and EvoNorm-S0's parameters: PyTorch's and the Sparse-Push authors' names, shapes and initial values.</summary>
public class NormModuleTests
{
    [Fact]
    public void GroupNormHasTorchsWeightAndBiasAndNoBuffers()
    {
        var m = new GroupNorm(2, 6);
        Assert.Equal(["weight:6", "bias:6"], m.StateDict().Select(e => e.Name + ":" + string.Join("x", e.Value.Shape.ToArray())));
        Assert.All(m.Weight.Data.Span.ToArray(), v => Assert.Equal(1f, v));
        Assert.All(m.Bias.Data.Span.ToArray(), v => Assert.Equal(0f, v));
        Assert.Empty(m.NamedBuffers());
    }

    [Fact]
    public void EvoNormHasTheAuthorsParametersOfShape1C11()
    {
        var m = new EvoNormS0(16);
        Assert.Equal(8, m.Groups);
        Assert.Equal(["weight:1x16x1x1", "bias:1x16x1x1", "v:1x16x1x1"],
            m.StateDict().Select(e => e.Name + ":" + string.Join("x", e.Value.Shape.ToArray())));
        Assert.All(m.V.Data.Span.ToArray(), v => Assert.Equal(1f, v));
        Assert.Empty(m.NamedBuffers());
    }

    [Fact]
    public void GroupsThatDoNotDivideTheChannelsAreRejected()
    {
        Assert.Contains("3 groups must divide 16 channels", Assert.Throws<ArgumentException>(() => new GroupNorm(3, 16)).Message, StringComparison.Ordinal);
        Assert.Contains("3 groups must divide 16 channels", Assert.Throws<ArgumentException>(() => new EvoNormS0(16, 3)).Message, StringComparison.Ordinal);
    }
}
