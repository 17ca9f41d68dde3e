using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

public class WorkersTests
{
    private readonly struct Mark(int[] hits) : IParallelBody
    {
        public void Invoke(int index) => Interlocked.Increment(ref hits[index]);
    }

    private readonly struct Nested(int[] hits) : IParallelBody
    {
        public void Invoke(int index) => Workers.For(hits.Length, new Mark(hits));
    }

    private readonly struct Throw : IParallelBody
    {
        public void Invoke(int index)
        {
            if (index == 5) throw new InvalidOperationException("item 5");
        }
    }

    [Theory]
    [InlineData(1, 1)]
    [InlineData(2, 1000)]
    [InlineData(2, 3)]
    [InlineData(4, 17)]
    public void EveryItemRunsExactlyOnce(int threads, int items)
    {
        int saved = Workers.Count;
        try
        {
            Workers.Count = threads;
            var hits = new int[items];
            Workers.For(items, new Mark(hits));
            Assert.All(hits, h => Assert.Equal(1, h));
        }
        finally
        {
            Workers.Count = saved;
        }
    }

    [Fact]
    public void NestedLoopsRunSerially()
    {
        var hits = new int[4];
        Workers.For(3, new Nested(hits));
        Assert.All(hits, h => Assert.Equal(3, h));
    }

    [Fact]
    public void AnItemsExceptionReachesTheCaller() =>
        Assert.Equal("item 5", Assert.Throws<InvalidOperationException>(() => Workers.For(64, new Throw())).Message);

    [Fact]
    public void CountIsValidated() => Assert.Throws<ArgumentOutOfRangeException>(() => Workers.Count = 0);
}
