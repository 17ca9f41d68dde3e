using NanoFed.Nets.Data;
using Xunit;

namespace NanoFed.Tests;

public class AugmentationTests
{
    /// <summary>A table that maps byte v of channel c to v + 1000 c, so the output shows which pixel went where.</summary>
    private static float[] Table(int C)
    {
        var t = new float[C * 256];
        for (int c = 0; c < C; c++)
            for (int v = 0; v < 256; v++) t[c * 256 + v] = v + 1000 * c;
        return t;
    }

    /// <summary>torchvision's order, literally: pad with zeros, crop at (P + dy, P + dx), then mirror the crop.</summary>
    private static float[] Reference(byte[] src, int C, int H, int W, int P, int dy, int dx, bool flip)
    {
        int hp = H + 2 * P, wp = W + 2 * P;
        var padded = new byte[C, hp, wp];
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) padded[c, y + P, x + P] = src[(c * H + y) * W + x];
        var crop = new float[C * H * W];
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) crop[(c * H + y) * W + x] = padded[c, y + P + dy, x + P + dx] + 1000 * c;
        if (!flip) return crop;
        var mirrored = new float[crop.Length];
        for (int c = 0; c < C; c++)
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) mirrored[(c * H + y) * W + x] = crop[(c * H + y) * W + (W - 1 - x)];
        return mirrored;
    }

    [Fact]
    public void CropAndFlipMatchPadCropMirror()
    {
        const int C = 2, H = 3, W = 5, P = 2;
        var src = new byte[C * H * W];
        for (int i = 0; i < src.Length; i++) src[i] = (byte)(1 + i);
        var dst = new float[src.Length];
        for (int dy = -P; dy <= P; dy++)
            for (int dx = -P; dx <= P; dx++)
                foreach (bool flip in new[] { false, true })
                {
                    Augmentation.Write(src, C, H, W, Table(C), dy, dx, flip, dst);
                    Assert.Equal(Reference(src, C, H, W, P, dy, dx, flip), dst);
                }
    }

    [Fact]
    public void TinyImageByHand()
    {
        // One channel, 2 x 3: rows (1 2 3) and (4 5 6).
        byte[] src = [1, 2, 3, 4, 5, 6];
        var dst = new float[6];
        var t = Table(1);
        Augmentation.Write(src, 1, 2, 3, t, 0, 0, false, dst);
        Assert.Equal([1f, 2, 3, 4, 5, 6], dst);
        Augmentation.Write(src, 1, 2, 3, t, 0, 0, true, dst);
        Assert.Equal([3f, 2, 1, 6, 5, 4], dst);
        Augmentation.Write(src, 1, 2, 3, t, 1, 1, false, dst); // window moved down and right: zeros enter at the bottom and right
        Assert.Equal([5f, 6, 0, 0, 0, 0], dst);
        Augmentation.Write(src, 1, 2, 3, t, -1, 0, true, dst);
        Assert.Equal([0f, 0, 0, 3, 2, 1], dst);
    }

    [Fact]
    public void PaddingTakesTheNormalizedValueOfBlack()
    {
        var n = Cifar10.Normalization;
        var src = new byte[3 * 32 * 32];
        Array.Fill(src, (byte)200);
        var dst = new float[src.Length];
        Augmentation.Write(src, 3, 32, 32, n.Table(), 4, 0, false, dst);
        Assert.Equal(n.Apply(0, 0), dst[31 * 32]);
        Assert.Equal(n.Apply(2, 200), dst[2 * 1024]);
    }

    [Fact]
    public void DrawsCoverTheOffsetRangeAndFlipHalfTheTime()
    {
        var a = Augmentation.Cifar;
        var random = new HashEpochRandom(7);
        var dys = new int[9];
        var dxs = new int[9];
        int flips = 0;
        const int draws = 9000;
        for (int i = 0; i < draws; i++)
        {
            var (dy, dx, flip) = a.Draw(random.Bits(0, i));
            dys[dy + 4]++;
            dxs[dx + 4]++;
            flips += flip ? 1 : 0;
        }
        Assert.All(dys, n => Assert.InRange(n, 850, 1150));
        Assert.All(dxs, n => Assert.InRange(n, 850, 1150));
        Assert.InRange(flips, 4300, 4700);
        Assert.False(new Augmentation(0, false).Draw(ulong.MaxValue).Flip);
        Assert.Equal((0, 0), (new Augmentation(0).Draw(ulong.MaxValue).Dy, new Augmentation(0).Draw(ulong.MaxValue).Dx));
    }
}
