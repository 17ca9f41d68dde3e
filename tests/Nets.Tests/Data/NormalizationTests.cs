using NanoFed.Nets.Data;
using Xunit;

namespace NanoFed.Tests;

public class NormalizationTests
{
    [Fact]
    public void CifarDefaultsMatchTorchvisionRecipe()
    {
        var n = Cifar10.Normalization;
        Assert.Equal([0.4914f, 0.4822f, 0.4465f], n.Mean);
        Assert.Equal([0.2470f, 0.2435f, 0.2616f], n.Std);
        Assert.Equal((1f - 0.4914f) / 0.2470f, n.Apply(0, 255));
        Assert.Equal((0f - 0.4465f) / 0.2616f, n.Apply(2, 0));
        Assert.Equal((128 / 255f - 0.4822f) / 0.2435f, n.Apply(1, 128));
    }

    [Fact]
    public void TableHoldsEveryChannelAndByte()
    {
        var n = new Normalization([0.5f, 0.25f], [0.5f, 2f]);
        var table = n.Table();
        Assert.Equal(512, table.Length);
        for (int c = 0; c < 2; c++)
            for (int v = 0; v < 256; v++)
                Assert.Equal(n.Apply(c, (byte)v), table[c * 256 + v]);
        Assert.Equal(1f, table[255]);
        Assert.Equal(-1f, table[0]);
    }

    [Fact]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentException>(() => new Normalization([0.5f], [0f]));
        Assert.Throws<ArgumentException>(() => new Normalization([0.5f, 0.5f], [1f]));
        Assert.Throws<ArgumentException>(() => new Normalization([], []));
    }
}
