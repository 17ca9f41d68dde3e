using NanoFed.Nets.Data;
using Xunit;

namespace NanoFed.Tests;

public class IEpochRandomTests
{
    [Fact]
    public void HashStreamIsAPureFunctionOfSeedEpochAndCounter()
    {
        var a = new HashEpochRandom(11);
        Assert.Equal(a.Bits(3, 17), new HashEpochRandom(11).Bits(3, 17));
        var seen = new HashSet<ulong>();
        foreach (ulong seed in new ulong[] { 0, 1, 11 })
            for (int epoch = 0; epoch < 4; epoch++)
                for (long counter = 0; counter < 64; counter++)
                    Assert.True(seen.Add(new HashEpochRandom(seed).Bits(epoch, counter)), $"repeat at seed {seed}, epoch {epoch}, counter {counter}");
        Assert.NotEqual(a.Bits(0, 1L << 32), a.Bits(0, 0));
    }

    [Fact]
    public void BitsAreBalanced()
    {
        var r = new HashEpochRandom(2);
        var ones = new int[64];
        const int draws = 4096;
        for (int i = 0; i < draws; i++)
        {
            ulong bits = r.Bits(1, i);
            for (int b = 0; b < 64; b++) ones[b] += (int)((bits >> b) & 1);
        }
        Assert.All(ones, n => Assert.InRange(n, draws / 2 - 200, draws / 2 + 200));
    }
}
