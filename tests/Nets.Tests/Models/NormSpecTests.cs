using NanoFed.Autograd;
using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Training;
using Xunit;

namespace NanoFed.Tests.Models;

/// <summary>The --norm choice: parsing, its modules, and the models built with it.</summary>
public class NormSpecTests
{
    [Theory]
    [InlineData("batch", NormKind.Batch, 0, "batch")]
    [InlineData("group", NormKind.Group, 2, "group:2")]
    [InlineData("group:16", NormKind.Group, 16, "group:16")]
    [InlineData("evonorm", NormKind.EvoNorm, 8, "evonorm:8")]
    [InlineData("evonorm:4", NormKind.EvoNorm, 4, "evonorm:4")]
    public void ParsesKindAndGroupsAndWritesThemBack(string text, NormKind kind, int groups, string written)
    {
        var norm = NormSpec.Parse(text);
        Assert.Equal(kind, norm.Kind);
        Assert.Equal(groups, norm.Groups);
        Assert.Equal(written, norm.ToString());
        Assert.Equal(norm, NormSpec.Parse(written));
    }

    [Theory]
    [InlineData("layer", "unknown normalization 'layer'")]
    [InlineData("group:0", "positive integer")]
    [InlineData("group:x", "positive integer")]
    [InlineData("batch:2", "unknown normalization 'batch:2'")]
    public void BadTextIsRejectedNamingTheOption(string text, string message)
    {
        var e = Assert.Throws<ArgumentException>(() => NormSpec.Parse(text));
        Assert.StartsWith("--norm: ", e.Message, StringComparison.Ordinal);
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void CatalogRejectsGroupsThatDoNotDivideAWidthAndModelsWithoutNorms()
    {
        Assert.Contains("3 groups do not divide the 16-channel layers of resnet20",
            Assert.Throws<ArgumentException>(() => ModelCatalog.ParseNorm("resnet20", "group:3")).Message, StringComparison.Ordinal);
        Assert.Contains("128 groups do not divide the 64-channel layers of vgg11-sp",
            Assert.Throws<ArgumentException>(() => ModelCatalog.ParseNorm("vgg11-sp", "evonorm:128")).Message, StringComparison.Ordinal);
        Assert.Contains("smallcnn has no normalization layers",
            Assert.Throws<ArgumentException>(() => ModelCatalog.ParseNorm("smallcnn", "group")).Message, StringComparison.Ordinal);
        Assert.Null(ModelCatalog.ParseNorm("resnet20", ""));
    }

    [Theory]
    [InlineData("group")]
    [InlineData("evonorm")]
    public void ConvolutionsAreDrawnAsWithBatchNormAndNormsStartAtOnesAndZeros(string norm)
    {
        var batch = ModelCatalog.Create("resnet20b", 7).StateDict().ToDictionary(e => e.Name, e => e.Value);
        var other = ModelCatalog.Create("resnet20b", 7, norm: NormSpec.Parse(norm));
        foreach (var (name, value) in other.StateDict())
        {
            if (name.Contains("conv", StringComparison.Ordinal) || name.StartsWith("linear", StringComparison.Ordinal) || name.EndsWith("shortcut.0.weight", StringComparison.Ordinal))
                Close.Identical(batch[name].Span, value.Span, name);
            else
                Assert.All(value.Span.ToArray(), v => Assert.Equal(name.EndsWith(".bias", StringComparison.Ordinal) ? 0f : 1f, v));
        }
        Assert.Empty(other.NamedBuffers());
    }

    [Fact]
    public void EvoNormModelsHaveNoReluAndGroupNormModelsKeepThem()
    {
        static int Relus(Module m) => m.Children.Sum(c => (c.Value is ReLU ? 1 : 0) + Relus(c.Value));
        Assert.Equal(0, Relus(ModelCatalog.Create("resnet20", 1, norm: NormSpec.Parse("evonorm"))));
        Assert.Equal(0, Relus(ModelCatalog.Create("vgg11-sp", 1, norm: NormSpec.Parse("evonorm"))) - 1); // the classifier's
        Assert.Equal(1, Relus(ModelCatalog.Create("resnet20", 1, norm: NormSpec.Parse("group"))));
        Assert.Equal(9, Relus(ModelCatalog.Create("vgg11-sp", 1, norm: NormSpec.Parse("group"))));
    }

    [Theory]
    [InlineData("group")]
    [InlineData("evonorm")]
    public void AnImagesLogitsDoNotDependOnTheRestOfTheBatchInEitherMode(string norm)
    {
        // No batch statistics: image 0 alone gives the bits it gives inside a batch of four, in training and evaluation.
        var model = ModelCatalog.Create("resnet20b", 3, norm: NormSpec.Parse(norm));
        var batch = OpCheck.Random(new Shape(4, 3, 32, 32), 5);
        var first = new Variable(Tensor.FromArray(batch.Data.Span[..(3 * 32 * 32)].ToArray(), new Shape(1, 3, 32, 32)));
        foreach (bool training in new[] { true, false })
        {
            model.Train(training);
            var tape = new Tape();
            var all = model.Forward(tape, batch).Data.Span[..10].ToArray();
            var one = model.Forward(tape, first).Data.Span.ToArray();
            Close.Identical(all, one, $"{norm} training={training}");
        }
    }

    [Theory]
    [InlineData("resnet20", "group")]
    [InlineData("resnet20b", "evonorm")]
    [InlineData("vgg11-sp", "evonorm")]
    public void BackwardReachesEveryParameter(string model, string norm)
    {
        var net = ModelCatalog.Create(model, 2, norm: NormSpec.Parse(norm));
        var tape = new Tape();
        var logits = net.Forward(tape, OpCheck.Random(new Shape(2, 3, 32, 32), 9, requiresGrad: false));
        tape.Backward(tape.CrossEntropy(logits, [1, 7]));
        foreach (var (name, p) in net.NamedParameters())
        {
            Assert.True(p.Grad is not null, $"{name}: no gradient");
            Assert.True(p.Grad!.Span.ToArray().Any(g => g != 0f), $"{name}: zero gradient");
        }
    }
}
