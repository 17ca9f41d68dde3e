namespace NanoFed.Nets.Data;

/// <summary>
/// Training augmentation of torchvision's CIFAR recipe: RandomCrop(H x W, padding) with zero (black) padding,
/// then RandomHorizontalFlip(p = 0.5). Padding is zero in the byte domain, so after normalization a padded
/// pixel of channel c is -Mean[c] / Std[c], as in torchvision.
/// </summary>
public sealed class Augmentation
{
    /// <summary>Creates an augmentation with <paramref name="padding"/> pixels of padding on each side and optional flips.</summary>
    public Augmentation(int padding = 4, bool flip = true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(padding);
        Padding = padding;
        Flip = flip;
    }

    /// <summary>The CIFAR recipe: 4-pixel padding, horizontal flip with probability 0.5.</summary>
    public static Augmentation Cifar { get; } = new(4, true);

    /// <summary>Pixels of zero padding on each side before the crop; crop offsets lie in [-Padding, Padding].</summary>
    public int Padding { get; }

    /// <summary>Whether images are flipped horizontally with probability 0.5.</summary>
    public bool Flip { get; }

    /// <summary>
    /// The crop offsets and flip drawn from 64 random bits: dy from bits 0-31, dx from bits 32-62, the flip
    /// from bit 63 (multiply-shift reduction to [0, 2P]; its bias, below 2^-30, is irrelevant here).
    /// </summary>
    public (int Dy, int Dx, bool Flip) Draw(ulong bits)
    {
        ulong n = (ulong)(2 * Padding + 1);
        int dy = (int)(((bits & 0xFFFF_FFFFUL) * n) >> 32) - Padding;
        int dx = (int)((((bits >> 32) & 0x7FFF_FFFFUL) * n) >> 31) - Padding;
        return (dy, dx, Flip && (bits >> 63) != 0);
    }

    /// <summary>
    /// Writes one image, cropped, flipped and normalized: dst(c, y, x) = table[c * 256 + src(c, y + dy, x' + dx)]
    /// with x' = W - 1 - x when flipped, else x, and byte 0 where (y + dy, x' + dx) falls outside the image.
    /// src and dst are (C, H, W); table comes from <see cref="Normalization.Table"/>. Overwrites dst.
    /// </summary>
    internal static void Write(ReadOnlySpan<byte> src, int C, int H, int W, float[] table, int dy, int dx, bool flip, Span<float> dst)
    {
        for (int c = 0; c < C; c++)
        {
            var lut = table.AsSpan(c * 256, 256);
            float pad = lut[0];
            var plane = src.Slice(c * H * W, H * W);
            for (int y = 0; y < H; y++)
            {
                var row = dst.Slice((c * H + y) * W, W);
                int sy = y + dy;
                if ((uint)sy >= (uint)H)
                {
                    row.Fill(pad);
                    continue;
                }
                var srcRow = plane.Slice(sy * W, W);
                for (int x = 0; x < W; x++)
                {
                    int sx = (flip ? W - 1 - x : x) + dx;
                    row[x] = (uint)sx < (uint)W ? lut[srcRow[sx]] : pad;
                }
            }
        }
    }
}
