using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

/// <summary>The pooling geometry, and the shapes shared by the pooling kernel tests.</summary>
[Collection(nameof(WorkerCountCollection))]
public class Pool2dGeometryTests
{
    [Fact]
    public void OutputSizeFollowsTheFloorFormula()
    {
        var g = Create(2, 3, 7, 9, 3, 2, 1);
        Assert.Equal((4, 5), (g.P, g.Q));
        Assert.Equal(2 * 3 * 4 * 5, g.YLength);
    }

    [Fact]
    public void PaddingOverHalfTheWindowIsRejectedWithTheShape()
    {
        var e = Assert.Throws<ArgumentException>(() => Create(1, 1, 4, 4, 2, 2, 2));
        Assert.Contains("padding", e.Message);
        Assert.Contains("(1, 1, 4, 4)", e.Message);
        Assert.Throws<ArgumentException>(() => Create(1, 1, 2, 2, 5, 1, 0));
        Assert.Throws<ArgumentException>(() => Create(1, 1, 4, 4, 2, 0, 0));
    }

    /// <summary>Windows 2/3, stride 1/2/3, padding 0/1, channel counts around 4/8/16 and a plane count that spans
    /// several parallel items: (N, C, H, W, kernel, stride, padding).</summary>
    public static Xunit.TheoryData<int, int, int, int, int, int, int> Geometries => new()
    {
        { 2, 3, 8, 8, 2, 2, 0 },
        { 3, 4, 7, 9, 3, 2, 1 },
        { 1, 17, 5, 6, 3, 1, 1 },
        { 2, 16, 33, 32, 2, 2, 0 },
        { 3, 9, 16, 15, 3, 3, 1 },
        { 1, 1, 1, 1, 1, 1, 0 },
    };

    /// <summary>Runs <paramref name="f"/> with <see cref="Workers.Count"/> set to <paramref name="threads"/>, then restores it.</summary>
    public static T WithThreads<T>(int threads, Func<T> f)
    {
        int saved = Workers.Count;
        Workers.Count = threads;
        try
        {
            return f();
        }
        finally
        {
            Workers.Count = saved;
        }
    }

    /// <summary>A validated geometry.</summary>
    public static Pool2dGeometry Create(int n, int c, int h, int w, int kernel, int stride, int padding) =>
        Pool2dGeometry.Create(n, c, h, w, kernel, stride, padding);
}
