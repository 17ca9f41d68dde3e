using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

[Collection(nameof(WorkerCountCollection))]
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
    [InlineData(3, 2)]
    [InlineData(8, 1001)]
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

    /// <summary>Item 0 (the caller's share) waits until the helper has taken the last item of the caller's share.</summary>
    private readonly struct WaitForSteal(int[] hits) : IParallelBody
    {
        public void Invoke(int index)
        {
            if (index == 0)
            {
                var clock = System.Diagnostics.Stopwatch.StartNew();
                while (Volatile.Read(ref hits[hits.Length / 2 - 1]) == 0 && clock.Elapsed < TimeSpan.FromSeconds(30)) Thread.Yield();
            }
            Interlocked.Increment(ref hits[index]);
        }
    }

    [Fact]
    public void AThreadThatFinishesItsShareTakesItemsFromAnother()
    {
        int saved = Workers.Count;
        try
        {
            Workers.Count = 2;
            var hits = new int[100];
            var clock = System.Diagnostics.Stopwatch.StartNew();
            Workers.For(hits.Length, new WaitForSteal(hits));
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(30), "the caller's share was never stolen from");
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
