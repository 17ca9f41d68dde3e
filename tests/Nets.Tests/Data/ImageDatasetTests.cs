using NanoFed.Nets.Data;
using Xunit;

namespace NanoFed.Tests;

public class ImageDatasetTests
{
    private static ImageDataset Three() =>
        new(Enumerable.Range(0, 3 * 2 * 2).Select(i => (byte)i).ToArray(), [2, 0, 2], 1, 2, 2, 3);

    [Fact]
    public void ImagesLabelsAndCounts()
    {
        var d = Three();
        Assert.Equal(3, d.Count);
        Assert.Equal(4, d.ImageBytes);
        Assert.Equal([8, 9, 10, 11], d.Image(2).ToArray());
        Assert.Equal([1, 0, 2], d.LabelCounts());
    }

    [Fact]
    public void SubsetCopiesInTheOrderGiven()
    {
        var s = Three().Subset([2, 0]);
        Assert.Equal([2, 2], s.Labels);
        Assert.Equal([8, 9, 10, 11, 0, 1, 2, 3], s.Pixels);
    }

    [Fact]
    public void InconsistentArgumentsAreRejected()
    {
        Assert.Contains("do not hold 3 images", Assert.Throws<ArgumentException>(() => new ImageDataset(new byte[11], [0, 0, 0], 1, 2, 2, 3)).Message);
        Assert.Contains("label 3 of image 1", Assert.Throws<ArgumentException>(() => new ImageDataset(new byte[12], [0, 3, 0], 1, 2, 2, 3)).Message);
    }
}
