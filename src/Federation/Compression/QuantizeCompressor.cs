using NanoFed.Federation.Transport;
using NanoFed.Kernels;

namespace NanoFed.Federation.Compression;

/// <summary>
/// b-bit symmetric quantization per tensor (<see cref="Quantize"/>, 2 ≤ b ≤ 8): scale s = max|v| / (2^(b−1) − 1),
/// codes round to nearest (or stochastically, from the given stream); on the wire, a <see cref="WireEncoding.Quantized"/>
/// tensor of ⌈b·n / 8⌉ code bytes and one float32 scale, or with <see cref="Coded"/> the codes entropy-coded
/// (<see cref="WireTensor.FromCodesCoded"/>), the same values in fewer bytes. With nearest rounding v − c is exact in
/// float (|v − c| ≤ s/2 and |c| ≥ s, Sterbenz), so error feedback is lossless.
/// </summary>
public sealed class QuantizeCompressor : ICompressor
{
    /// <summary>The narrowest code: 2 bits (1 bit is the <see cref="SignCompressor"/>).</summary>
    public const int MinBits = 2;

    /// <summary>The widest code: what the kernels pack (<see cref="Quantize.MaxBits"/>).</summary>
    public const int MaxBits = Quantize.MaxBits;

    /// <summary>Whether <paramref name="bits"/> is a code width this compressor (or top-k's quantized values) takes.</summary>
    public static bool Takes(int bits) => bits is >= MinBits and <= MaxBits;

    /// <summary>b-bit codes, nearest or stochastic rounding, entropy-coded on the wire or not.</summary>
    public QuantizeCompressor(int bits, bool stochastic = false, bool coded = false)
    {
        if (!Takes(bits)) throw new ArgumentOutOfRangeException(nameof(bits), $"bits must be in {MinBits}..{MaxBits}, got {bits} (use SignCompressor for 1 bit)");
        (BitsPerValue, Stochastic, Coded) = (bits, stochastic, coded);
    }

    /// <summary>b.</summary>
    public int BitsPerValue { get; }

    /// <summary>Whether rounding is stochastic.</summary>
    public bool Stochastic { get; }

    /// <summary>Whether the codes travel entropy-coded (<see cref="WireEncoding.QuantizedRans"/>).</summary>
    public bool Coded { get; }

    /// <inheritdoc/>
    public WireTensor Compress(string name, ReadOnlySpan<float> v, RngStream? rng)
    {
        float scale = Quantize.Scale(v, BitsPerValue);
        var codes = new sbyte[v.Length];
        if (Stochastic) Quantize.Stochastic(v, scale, BitsPerValue, rng ?? throw new ArgumentNullException(nameof(rng)), codes);
        else Quantize.Nearest(v, scale, BitsPerValue, codes);
        return Coded
            ? WireTensor.FromCodesCoded(name, new Shape(v.Length), codes, BitsPerValue, scale)
            : WireTensor.FromCodes(name, new Shape(v.Length), codes, BitsPerValue, scale);
    }
}

/// <summary>
/// Scaled sign (signSGD with error feedback, Karimireddy et al., arXiv 1901.09847): c = sign(v) · ‖v‖₁ / n with
/// sign(0) = +1; on the wire, 1-bit codes (⌈n / 8⌉ bytes) and one float32 scale.
/// </summary>
public sealed class SignCompressor : ICompressor
{
    /// <summary>The shared instance.</summary>
    public static SignCompressor Instance { get; } = new();

    /// <inheritdoc/>
    public WireTensor Compress(string name, ReadOnlySpan<float> v, RngStream? rng)
    {
        double l1 = 0;
        foreach (float x in v) l1 += Math.Abs(x);
        var codes = new sbyte[v.Length];
        for (int i = 0; i < v.Length; i++) codes[i] = v[i] < 0 ? (sbyte)-1 : (sbyte)1;
        return WireTensor.FromCodes(name, new Shape(v.Length), codes, 1, v.Length == 0 ? 0 : (float)(l1 / v.Length));
    }
}
