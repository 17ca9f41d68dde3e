using NanoFed.Federation.Transport;
using NanoFed.Kernels;

namespace NanoFed.Federation.Compression;

/// <summary>
/// Sparse-Push's top-k by magnitude (Aketi et al., arXiv 2102.05715; specs/sparse-push.md): k = max(1, floor(n · keep))
/// entries of largest |v| (ties to the lower index, <see cref="TopK.Select"/>); on the wire, the k values and the
/// indices in <see cref="Coding"/> (<see cref="SparseIndices"/>). The values are float32 (<see cref="ValueBits"/> = 32)
/// or b-bit codes, 2 ≤ b ≤ 8, with one float32 scale per tensor, rounded to nearest (deterministic, no random stream):
/// s = max|kept| / (2^(b−1) − 1), each sent value within s/2 of the kept one (<see cref="WireEncoding.SparseQuantized"/>).
/// </summary>
public sealed class TopKCompressor(double keep, IndexCoding coding = IndexCoding.Int32, int valueBits = 32) : ICompressor
{
    /// <summary>Fraction of entries kept.</summary>
    public double Keep { get; } = keep >= 0 && keep <= 1 ? keep : throw new ArgumentOutOfRangeException(nameof(keep), $"keep must be in [0, 1], got {keep}");

    /// <summary>How the indices are written.</summary>
    public IndexCoding Coding { get; } = coding;

    /// <summary>Bits per sent value: 32 (float32) or <see cref="QuantizeCompressor.MinBits"/>..<see cref="QuantizeCompressor.MaxBits"/> (codes with one scale per tensor).</summary>
    public int ValueBits { get; } = valueBits == 32 || QuantizeCompressor.Takes(valueBits) ? valueBits
        : throw new ArgumentOutOfRangeException(nameof(valueBits), $"value bits must be 32 or {QuantizeCompressor.MinBits}..{QuantizeCompressor.MaxBits}, got {valueBits}");

    /// <inheritdoc/>
    public WireTensor Compress(string name, ReadOnlySpan<float> v, RngStream? rng)
    {
        int k = v.Length == 0 ? 0 : TopK.Count(v.Length, Keep);
        var values = new float[k];
        var indices = new int[k];
        TopK.Select(v, k, values, indices);
        return ValueBits == 32
            ? WireTensor.Owned(name, new Shape(v.Length), values, indices, Coding)
            : WireTensor.QuantizedOwned(name, new Shape(v.Length), values, indices, Coding, ValueBits);
    }
}

/// <summary>
/// Random-k sparsification: the same k = max(1, floor(n · keep)) as top-k, but the kept indices are the first k of a
/// Fisher-Yates shuffle drawn from the given <see cref="RngStream"/> (sorted increasing). The indices travel in
/// <see cref="Coding"/> (a receiver sharing the stream could regenerate them; that saving is not assumed).
/// </summary>
public sealed class RandomKCompressor(double keep, IndexCoding coding = IndexCoding.Int32) : ICompressor
{
    /// <summary>Fraction of entries kept.</summary>
    public double Keep { get; } = keep >= 0 && keep <= 1 ? keep : throw new ArgumentOutOfRangeException(nameof(keep), $"keep must be in [0, 1], got {keep}");

    /// <summary>How the indices are written.</summary>
    public IndexCoding Coding { get; } = coding;

    /// <inheritdoc/>
    public WireTensor Compress(string name, ReadOnlySpan<float> v, RngStream? rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        int n = v.Length, k = n == 0 ? 0 : TopK.Count(n, Keep);
        var all = new int[n];
        for (int i = 0; i < n; i++) all[i] = i;
        for (int j = 0; j < k; j++)
        {
            int r = j + rng.NextInt(n - j);
            (all[j], all[r]) = (all[r], all[j]);
        }
        var indices = all[..k];
        Array.Sort(indices);
        var values = new float[k];
        for (int j = 0; j < k; j++) values[j] = v[indices[j]];
        return WireTensor.Owned(name, new Shape(v.Length), values, indices, Coding);
    }
}
