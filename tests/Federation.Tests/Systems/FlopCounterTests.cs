using NanoFed.Federation.Systems;
using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests;

public class FlopCounterTests
{
    [Fact]
    public void SmallCnnMatchesHandCount()
    {
        var model = SmallCnn.Create(new RngStream(1, 1));
        long conv1 = 2L * 32 * 1 * 3 * 3 * 26 * 26, relu1 = 32 * 26 * 26, pool1 = 4 * 32 * 13 * 13;
        long conv2 = 2L * 64 * 32 * 3 * 3 * 11 * 11, relu2 = 64 * 11 * 11, pool2 = 4 * 64 * 5 * 5;
        long fc1 = 2L * 1600 * 128, relu3 = 128, fc2 = 2L * 128 * 10;
        Assert.Equal(conv1 + relu1 + pool1 + conv2 + relu2 + pool2 + fc1 + relu3 + fc2, FlopCounter.Forward(model, [1, 28, 28]));
    }

    [Fact]
    public void ResNet20MatchesHandCount()
    {
        var model = ResNetCifar.ResNet20(ResNetShortcut.A, new RngStream(1, 1));
        // Convolutions alone: 40.55 M multiply-adds, the figure usually quoted for ResNet-20.
        long conv = 2L * 16 * 3 * 9 * 1024
            + 6 * 2L * 16 * 16 * 9 * 1024
            + 2L * 32 * 16 * 9 * 256 + 5 * 2L * 32 * 32 * 9 * 256
            + 2L * 64 * 32 * 9 * 64 + 5 * 2L * 64 * 64 * 9 * 64;
        Assert.Equal(2L * 40_550_400, conv);
        // Stem BN + ReLU; per block two BN (2/element), inner ReLU, residual add and ReLU (1/element each); head.
        long stem = 3L * 16 * 1024;
        long blocks = 3 * 7L * 16 * 1024 + 3 * 7L * 32 * 256 + 3 * 7L * 64 * 64;
        long head = 64 * 64 + 2L * 64 * 10;
        Assert.Equal(conv + stem + blocks + head, FlopCounter.Forward(model, [3, 32, 32]));
        Assert.Equal(81_757_440, FlopCounter.Forward(model, [3, 32, 32]));
    }

    [Fact]
    public void NormsWithoutBatchStatisticsAreCountedAndEvoNormBlocksHaveNoRelu()
    {
        long resnet = FlopCounter.Forward(ResNetCifar.ResNet20(ResNetShortcut.A, new RngStream(1, 1)), [3, 32, 32]);
        // Per element of each of the 19 norms' outputs: GroupNorm 4 instead of 2; EvoNorm-S0 9 instead of 2 and no
        // ReLU after it (the stem's and each block's two).
        long normElements = 16L * 1024 + 6 * 16 * 1024 + 6 * 32 * 256 + 6 * 64 * 64;
        long reluElements = 16L * 1024 + 2 * (3 * 16 * 1024 + 3 * 32 * 256 + 3 * 64 * 64);
        var group = ResNetCifar.ResNet20(ResNetShortcut.A, new RngStream(1, 1), norm: NormSpec.Parse("group"));
        var evo = ResNetCifar.ResNet20(ResNetShortcut.A, new RngStream(1, 1), norm: NormSpec.Parse("evonorm"));
        Assert.Equal(resnet + 2 * normElements, FlopCounter.Forward(group, [3, 32, 32]));
        Assert.Equal(resnet + 7 * normElements - reluElements, FlopCounter.Forward(evo, [3, 32, 32]));
    }

    [Fact]
    public void ProjectionShortcutIsCounted()
    {
        var a = FlopCounter.Forward(ResNetCifar.ResNet20(ResNetShortcut.A, new RngStream(1, 1)), [3, 32, 32]);
        var b = FlopCounter.Forward(ResNetCifar.ResNet20(ResNetShortcut.B, new RngStream(1, 1)), [3, 32, 32]);
        long projections = (2L * 32 * 16 * 256 + 2L * 32 * 256) + (2L * 64 * 32 * 64 + 2L * 64 * 64);
        Assert.Equal(a + projections, b);
    }

    [Fact]
    public void TrainingIsThreeForwardsPerImage()
    {
        var model = SmallCnn.Create(new RngStream(1, 1));
        Assert.Equal(3.0 * 10 * FlopCounter.Forward(model, [1, 28, 28]), FlopCounter.Training(model, [1, 28, 28], 10));
    }

    [Fact]
    public void WrongInputShapeThrows()
    {
        var model = SmallCnn.Create(new RngStream(1, 1));
        Assert.Throws<ArgumentException>(() => FlopCounter.Forward(model, [3, 28, 28]));
        Assert.Throws<ArgumentException>(() => FlopCounter.Forward(new Sequential(new Linear(4, 2, new RngStream(1, 1))), [5]));
    }

    [Fact]
    public void OutputShapeIsTheCut()
    {
        Assert.Equal([128, 8, 8], FlopCounter.OutputShape(Vgg11.Create(Vgg11Variant.BatchNorm, new RngStream(1, 1)).Split(8).Front, [3, 32, 32]));
        Assert.Equal([64, 5, 5], FlopCounter.OutputShape(SmallCnn.Create(new RngStream(1, 1)).Split(6).Front, [1, 28, 28]));
        Assert.Equal([10], FlopCounter.OutputShape(SmallCnn.Create(new RngStream(1, 1)), [1, 28, 28]));
    }
}
