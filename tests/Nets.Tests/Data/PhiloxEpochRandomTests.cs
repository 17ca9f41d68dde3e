using NanoFed.Nets.Data;
using Xunit;

namespace NanoFed.Tests.Data;

/// <summary>The Philox-backed epoch random source: its defining formula, and that keys, epochs and streams separate draws.</summary>
public class PhiloxEpochRandomTests
{
    [Fact]
    public void BitsAreTheLowHalfOfOnePhiloxBlock()
    {
        var random = new PhiloxEpochRandom(0x0123456789ABCDEF, 3);
        var block = Philox.Block(new UInt128((3UL << 32) | 5, 77), 0x0123456789ABCDEF);
        Assert.Equal((ulong)block, random.Bits(5, 77));
    }

    [Fact]
    public void SeedEpochCounterAndStreamEachChangeTheBits()
    {
        ulong b = new PhiloxEpochRandom(1).Bits(0, 0);
        Assert.NotEqual(b, new PhiloxEpochRandom(2).Bits(0, 0));
        Assert.NotEqual(b, new PhiloxEpochRandom(1).Bits(1, 0));
        Assert.NotEqual(b, new PhiloxEpochRandom(1).Bits(0, 1));
        Assert.NotEqual(b, new PhiloxEpochRandom(1, 1).Bits(0, 0));
        Assert.Equal(b, new PhiloxEpochRandom(1).Bits(0, 0));
    }

    [Fact]
    public void ShufflesArePermutationsThatDifferByEpoch()
    {
        var data = new ImageDataset(new byte[100], Enumerable.Range(0, 100).Select(i => i % 10).ToArray(), 1, 1, 1, 10);
        using var loader = new BatchLoader(data, 10, shuffle: true, random: new PhiloxEpochRandom(9));
        int[] a = loader.Order(0), b = loader.Order(1);
        Assert.Equal(Enumerable.Range(0, 100), a.Order());
        Assert.NotEqual(a, b);
        Assert.Equal(a, loader.Order(0));
    }
}
