using NanoFed.Nets;
using NanoFed.Nets.Data;
using Xunit;

namespace NanoFed.Tests;

public class FashionMnistTests
{
    [Fact]
    public void CountsAreSixtyAndTenThousand()
    {
        string folder = DataPaths.FashionMnist();
        var train = FashionMnist.ReadTrain(folder);
        var test = FashionMnist.ReadTest(folder);
        Assert.Equal(60_000, train.Count);
        Assert.Equal(10_000, test.Count);
        Assert.Equal((1, 28, 28), (train.Channels, train.Height, train.Width));
        Assert.All(train.LabelCounts(), n => Assert.Equal(6000, n));
        Assert.All(test.LabelCounts(), n => Assert.Equal(1000, n));
        Assert.Equal(9, train.Labels[0]); // the first training image is an ankle boot
    }

    [Fact]
    public void MissingFileNamesTheGzipPath()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<DataFormatException>(() => FashionMnist.ReadTest(dir.PathName));
        Assert.Equal(dir.File("t10k-images-idx3-ubyte.gz"), e.FilePath);
        Assert.Contains("file not found", e.Message);
    }
}
