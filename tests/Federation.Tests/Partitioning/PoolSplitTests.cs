using NanoFed.Federation.Partitioning;
using Xunit;

namespace NanoFed.Tests;

public class PoolSplitTests
{
    private static readonly int[] Labels = Enumerable.Range(0, 200).Select(i => i * 7 % 4).ToArray();

    [Fact]
    public void ClientsDrawOnlyFromThePool()
    {
        var p = PoolSplit.Split(new IidPartitioner(4), Labels, 4, 50, 150, 80, new RngStream(3, 1));
        var all = p.Indices.SelectMany(x => x).ToArray();
        Assert.Equal(80, all.Distinct().Count());
        Assert.All(all, i => Assert.InRange(i, 50, 149));
        Assert.All(p.Indices, c => Assert.Equal(20, c.Length));
        for (int c = 0; c < 4; c++)
            Assert.Equal(Enumerable.Range(0, 4).Select(k => p.Indices[c].Count(i => Labels[i] == k)), p.Histograms[c]);
        Assert.Contains("pool 50:150", p.Method, StringComparison.Ordinal);
    }

    [Fact]
    public void SameStreamSamePartitionAndAWholePoolIsTakenWhole()
    {
        // Five classes of 20 in the pool, shards of 10: a client's two shards hold at most two classes.
        int[] labels = Enumerable.Range(0, 200).Select(i => i % 5).ToArray();
        var a = PoolSplit.Split(new ShardPartitioner(5, 10, 2), labels, 5, 100, 200, 100, new RngStream(9, 1));
        var b = PoolSplit.Split(new ShardPartitioner(5, 10, 2), labels, 5, 100, 200, 100, new RngStream(9, 1));
        Assert.Equal(a.Indices, b.Indices);
        Assert.Equal(Enumerable.Range(100, 100), a.Indices.SelectMany(x => x).Order());
        Assert.All(Enumerable.Range(0, 5), c => Assert.True(a.ClassesHeld(c) <= 2));
    }

    [Theory]
    [InlineData(-1, 10, 5)]
    [InlineData(10, 10, 5)]
    [InlineData(0, 201, 5)]
    [InlineData(0, 10, 11)]
    [InlineData(0, 10, 0)]
    public void BadRangesThrow(int start, int end, int samples) =>
        Assert.Throws<ArgumentException>(() => PoolSplit.Split(new IidPartitioner(1), Labels, 4, start, end, samples, new RngStream(1, 1)));
}
