using NanoFed.Kernels;
using NanoFed.Threading;

namespace NanoFed.Tests;

/// <summary>Pooling geometries shared by the pooling kernel tests: windows 2/3, stride 1/2, padding 0/1, planes
/// around 4/8/16 and a plane count that spans several parallel items.</summary>
public static class PoolTestShapes
{
    /// <summary>(N, C, H, W, kernel, stride, padding).</summary>
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
