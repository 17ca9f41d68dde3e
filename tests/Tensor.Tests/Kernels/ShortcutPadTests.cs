using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests;

[Collection(nameof(WorkerCountCollection))]
public class ShortcutPadTests
{
    public static readonly TheoryData<int, int, int, int, int> Shapes = new()
    {
        { 1, 1, 1, 1, 1 },
        { 2, 3, 5, 7, 5 },
        { 2, 4, 8, 8, 8 },
        { 3, 16, 9, 17, 32 },
        { 1, 2, 16, 33, 6 },
        { 2, 5, 2, 2, 5 },
        { 2, 4, 5, 64, 8 },
        { 1, 2, 3, 67, 4 },
    };

    private static float[] Random(int n, int seed)
    {
        var a = new float[n];
        new RngStream((ulong)seed, 3).FillNormal(a);
        return a;
    }

    [Theory]
    [MemberData(nameof(Shapes))]
    [Trait("Category", "Kernel")]
    public void MatchesReference(int n, int c, int h, int w, int k)
    {
        int p = (h + 1) / 2, q = (w + 1) / 2;
        var x = Random(n * c * h * w, n + c + h + w);
        var y = Enumerable.Repeat(float.NaN, n * k * p * q).ToArray();
        var yr = new float[y.Length];
        ShortcutPad.Forward(x, y, n, c, h, w, k);
        ShortcutPad.ForwardReference(x, yr, n, c, h, w, k);
        Close.Identical(yr, y, "forward");

        var dy = Random(y.Length, k);
        var dx = Random(x.Length, 7);
        var dxr = (float[])dx.Clone();
        ShortcutPad.BackwardData(dy, dx, n, c, h, w, k);
        ShortcutPad.BackwardDataReference(dy, dxr, n, c, h, w, k);
        Close.Identical(dxr, dx, "backward");
    }

    [Fact]
    public void ThreadCountDoesNotChangeResults()
    {
        int n = 4, c = 16, h = 16, w = 16, k = 32;
        var x = Random(n * c * h * w, 1);
        var dy = Random(n * k * 8 * 8, 2);
        int saved = Workers.Count;
        try
        {
            var ys = new List<float[]>();
            var dxs = new List<float[]>();
            foreach (int threads in new[] { 1, 2 })
            {
                Workers.Count = threads;
                var y = new float[dy.Length];
                var dx = new float[x.Length];
                ShortcutPad.Forward(x, y, n, c, h, w, k);
                ShortcutPad.BackwardData(dy, dx, n, c, h, w, k);
                ys.Add(y);
                dxs.Add(dx);
            }
            Close.Identical(ys[0], ys[1], "forward");
            Close.Identical(dxs[0], dxs[1], "backward");
        }
        finally
        {
            Workers.Count = saved;
        }
    }

    [Fact]
    public void RejectsAsymmetricPadding()
    {
        Assert.Throws<ArgumentException>(() => ShortcutPad.Forward(new float[16], new float[12], 1, 4, 2, 2, 3));
        Assert.Throws<ArgumentException>(() => ShortcutPad.Forward(new float[16], new float[20], 1, 4, 2, 2, 5));
        Assert.Throws<ArgumentException>(() => ShortcutPad.Forward(new float[16], new float[5], 1, 4, 2, 2, 8));
    }
}
