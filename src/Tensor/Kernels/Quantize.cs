using System.Numerics.Tensors;

namespace NanoFed.Kernels;

/// <summary>
/// Symmetric linear quantization of floats to b-bit signed integers, b = 1..8, stored one per <see cref="sbyte"/>
/// (EcoFed's activation compression, specs/ecofed.md): with q_max = 2^(b−1) − 1, a tensor (or a channel) with
/// largest magnitude m gets scale s = m / q_max, q = clamp(round(a / s), −q_max, q_max), and de-quantizes to q·s.
/// The code −2^(b−1) is never produced, so zero is exact and the range is symmetric.
/// <list type="bullet">
/// <item>Round to nearest breaks ties to even (as <c>torch.round</c> and <c>torch.quantize_per_tensor</c> do):
/// the error is at most half a step s/2.</item>
/// <item>Stochastic rounding: q = clamp(floor(a / s + u)) with u uniform in [0, 1) from an <see cref="RngStream"/>,
/// one word per element in order; unbiased (E[q·s] = a), error below one step s.</item>
/// <item>b = 1 is sign quantization: codes {−1, +1}, s = m (q_max is taken as 1), nearest gives +1 for a ≥ 0
/// (so zero maps to +s unless the whole tensor is zero) and −1 otherwise; stochastic gives +1 with probability
/// (1 + a / s) / 2, which is unbiased. The step between the two levels is 2s.</item>
/// <item>An all-zero tensor (m = 0) has scale 0 and quantizes to zeros: no division by zero, no NaN.
/// Non-finite inputs are rejected.</item>
/// </list>
/// Per-channel variants take a tensor laid out as (outer, C, inner) with one scale per channel c: for the channel
/// axis of an (N, C, H, W) activation use outer = N, inner = H·W; for axis 0 of a (K, C, R, S) filter use outer = 1,
/// inner = C·R·S; <see cref="Layout"/> computes them from a shape and an axis.
/// The fast paths are bit-identical to the <c>*Reference</c> twins on every SIMD width.
/// </summary>
public static partial class Quantize
{
    /// <summary>The widest code the kernels pack: 8 bits (every option that quantizes is checked against this range).</summary>
    public const int MaxBits = 8;

    /// <summary>The narrowest code: 1 bit.</summary>
    public const int MinBits = 1;

    /// <summary>The largest code magnitude q_max = 2^(b−1) − 1 for b ≥ 2, and 1 for b = 1.</summary>
    public static int MaxCode(int bits)
    {
        CheckBits(bits);
        return bits == 1 ? 1 : (1 << (bits - 1)) - 1;
    }

    /// <summary>(outer, channels, inner) of <paramref name="shape"/> with the channel axis <paramref name="axis"/> (negative counts from the end).</summary>
    public static (int Outer, int Channels, int Inner) Layout(Shape shape, int axis)
    {
        int a = axis < 0 ? axis + shape.Rank : axis;
        if ((uint)a >= (uint)shape.Rank)
            throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} is out of range for shape {shape}");
        int outer = 1, inner = 1;
        for (int i = 0; i < a; i++) outer *= shape[i];
        for (int i = a + 1; i < shape.Rank; i++) inner *= shape[i];
        return (outer, shape[a], inner);
    }

    /// <summary>The per-tensor scale max|a| / q_max (0 for an empty or all-zero tensor). Throws on NaN or infinity.</summary>
    public static float Scale(ReadOnlySpan<float> a, int bits)
    {
        int qmax = MaxCode(bits);
        return MaxAbs(a) / qmax;
    }

    /// <summary>Per-channel scales of an (outer, C, inner) tensor: <paramref name="scales"/>[c] = max over channel c of |a| / q_max.</summary>
    public static void ChannelScales(ReadOnlySpan<float> a, int outer, int channels, int inner, int bits, Span<float> scales)
    {
        CheckLayout(a.Length, outer, channels, inner, scales.Length);
        int qmax = MaxCode(bits);
        for (int c = 0; c < channels; c++)
        {
            float m = 0;
            for (int o = 0; o < outer; o++) m = MathF.Max(m, MaxAbs(a.Slice((o * channels + c) * inner, inner)));
            scales[c] = m / qmax;
        }
    }

    /// <summary>Quantizes with scale <paramref name="scale"/>, rounding to nearest (ties to even): q[i] = clamp(round(a[i] / scale)).</summary>
    public static void Nearest(ReadOnlySpan<float> a, float scale, int bits, Span<sbyte> q)
    {
        CheckLengths(a.Length, q.Length);
        int qmax = MaxCode(bits);
        float inv = Inverse(scale);
        if (bits == 1) Run(a, q, new SignNearest(inv), null);
        else Run(a, q, new RoundNearest(inv, qmax), null);
    }

    /// <summary>Quantizes with scale <paramref name="scale"/> and stochastic rounding, drawing one word of <paramref name="rng"/> per element.</summary>
    public static void Stochastic(ReadOnlySpan<float> a, float scale, int bits, RngStream rng, Span<sbyte> q)
    {
        ArgumentNullException.ThrowIfNull(rng);
        CheckLengths(a.Length, q.Length);
        int qmax = MaxCode(bits);
        float inv = Inverse(scale);
        if (bits == 1) Run(a, q, new SignStochastic(inv), rng);
        else Run(a, q, new RoundStochastic(inv, qmax), rng);
    }

    /// <summary>De-quantizes: a[i] = q[i] · scale.</summary>
    public static void Dequantize(ReadOnlySpan<sbyte> q, float scale, Span<float> a)
    {
        CheckLengths(a.Length, q.Length);
        Inverse(scale);
        Run(q, scale, a);
    }

    /// <summary>Per-channel <see cref="Nearest"/> of an (outer, C, inner) tensor with <paramref name="scales"/>[C].</summary>
    public static void NearestPerChannel(ReadOnlySpan<float> a, int outer, int channels, int inner, ReadOnlySpan<float> scales, int bits, Span<sbyte> q)
    {
        CheckLayout(a.Length, outer, channels, inner, scales.Length);
        CheckLengths(a.Length, q.Length);
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
            {
                int at = (o * channels + c) * inner;
                Nearest(a.Slice(at, inner), scales[c], bits, q.Slice(at, inner));
            }
    }

    /// <summary>Per-channel <see cref="Stochastic"/>: element i (in memory order) uses word i of the stream from its position.</summary>
    public static void StochasticPerChannel(ReadOnlySpan<float> a, int outer, int channels, int inner, ReadOnlySpan<float> scales, int bits, RngStream rng, Span<sbyte> q)
    {
        CheckLayout(a.Length, outer, channels, inner, scales.Length);
        CheckLengths(a.Length, q.Length);
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
            {
                int at = (o * channels + c) * inner;
                Stochastic(a.Slice(at, inner), scales[c], bits, rng, q.Slice(at, inner));
            }
    }

    /// <summary>Per-channel <see cref="Dequantize"/> of an (outer, C, inner) tensor.</summary>
    public static void DequantizePerChannel(ReadOnlySpan<sbyte> q, int outer, int channels, int inner, ReadOnlySpan<float> scales, Span<float> a)
    {
        CheckLayout(q.Length, outer, channels, inner, scales.Length);
        CheckLengths(a.Length, q.Length);
        for (int o = 0; o < outer; o++)
            for (int c = 0; c < channels; c++)
            {
                int at = (o * channels + c) * inner;
                Dequantize(q.Slice(at, inner), scales[c], a.Slice(at, inner));
            }
    }

    /// <summary>Reference twin of <see cref="Nearest"/>: one scalar element at a time.</summary>
    public static void NearestReference(ReadOnlySpan<float> a, float scale, int bits, Span<sbyte> q)
    {
        CheckLengths(a.Length, q.Length);
        int qmax = MaxCode(bits);
        float inv = Inverse(scale);
        for (int i = 0; i < a.Length; i++)
        {
            float x = a[i] * inv;
            float r = bits == 1 ? (x >= 0 ? 1f : -1f) : MathF.Round(x, MidpointRounding.ToEven);
            q[i] = (sbyte)Math.Clamp(r, -qmax, qmax);
        }
    }

    /// <summary>Reference twin of <see cref="Stochastic"/>: one <see cref="RngStream.NextFloat"/> per element.</summary>
    public static void StochasticReference(ReadOnlySpan<float> a, float scale, int bits, RngStream rng, Span<sbyte> q)
    {
        ArgumentNullException.ThrowIfNull(rng);
        CheckLengths(a.Length, q.Length);
        int qmax = MaxCode(bits);
        float inv = Inverse(scale);
        for (int i = 0; i < a.Length; i++)
        {
            float x = a[i] * inv, u = rng.NextFloat();
            // b = 1: stochastic rounding on the grid {−1, +1}, i.e. of (x + 1) / 2 onto {0, 1}.
            float r = bits == 1 ? 2 * MathF.Floor(x * 0.5f + 0.5f + u) - 1 : MathF.Floor(x + u);
            q[i] = (sbyte)Math.Clamp(r, -qmax, qmax);
        }
    }

    /// <summary>Reference twin of <see cref="Dequantize"/>.</summary>
    public static void DequantizeReference(ReadOnlySpan<sbyte> q, float scale, Span<float> a)
    {
        CheckLengths(a.Length, q.Length);
        for (int i = 0; i < q.Length; i++) a[i] = q[i] * scale;
    }

    private static float MaxAbs(ReadOnlySpan<float> a)
    {
        if (a.IsEmpty) return 0;
        float m = MathF.Abs(TensorPrimitives.MaxMagnitude(a));
        if (!float.IsFinite(m))
            throw new ArgumentException($"cannot quantize a tensor holding {m} (values must be finite)", nameof(a));
        return m;
    }

    /// <summary>1 / scale, and 0 for scale 0 (an all-zero tensor), so that everything quantizes to 0.</summary>
    private static float Inverse(float scale)
    {
        if (!(scale >= 0) || !float.IsFinite(scale))
            throw new ArgumentException($"scale must be finite and non-negative, got {scale}", nameof(scale));
        return scale == 0 ? 0 : 1 / scale;
    }

    private static void CheckBits(int bits)
    {
        if (bits is < MinBits or > MaxBits)
            throw new ArgumentOutOfRangeException(nameof(bits), $"bit width must be {MinBits}..{MaxBits}, got {bits}");
    }

    private static void CheckLengths(int values, int codes)
    {
        if (values != codes)
            throw new ArgumentException($"{values} values but {codes} codes");
    }

    private static void CheckLayout(int length, int outer, int channels, int inner, int scales)
    {
        if (outer < 0 || channels < 0 || inner < 0 || (long)outer * channels * inner != length)
            throw new ArgumentException($"layout (outer {outer}, channels {channels}, inner {inner}) does not cover {length} elements");
        if (scales != channels)
            throw new ArgumentException($"{scales} scales for {channels} channels");
    }
}
