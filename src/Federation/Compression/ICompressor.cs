namespace NanoFed.Federation.Compression;

/// <summary>
/// A lossy (or identity) compressor of one tensor (specs/sparse-push.md). <see cref="Bits"/> is the exact size of a
/// payload on the wire, a pure function of the payload that a ledger can recompute and check.
/// </summary>
public interface ICompressor
{
    /// <summary>Compresses <paramref name="v"/>; <paramref name="rng"/> is used only by randomized compressors (then it must not be null).</summary>
    Payload Compress(ReadOnlySpan<float> v, RngStream? rng);

    /// <summary>Exact bits of <paramref name="p"/> on the wire (values, indices or codes, scale); the push-sum weight is counted by the message.</summary>
    long Bits(Payload p);
}

/// <summary>The identity: 32 bits per value.</summary>
public sealed class NoCompression : ICompressor
{
    /// <summary>The shared instance.</summary>
    public static NoCompression Instance { get; } = new();

    /// <inheritdoc/>
    public Payload Compress(ReadOnlySpan<float> v, RngStream? rng) => new() { Length = v.Length, Kind = PayloadKind.Dense, Values = v.ToArray() };

    /// <inheritdoc/>
    public long Bits(Payload p) => 32L * p.Length;
}

/// <summary>Bit counts shared by the sparse compressors.</summary>
public static class SparseBits
{
    /// <summary>Bits of k = indices.Length indices of a tensor of n entries under <paramref name="coding"/>.</summary>
    public static long IndexBits(ReadOnlySpan<int> indices, int n, IndexCoding coding)
    {
        switch (coding)
        {
            case IndexCoding.Int32: return 32L * indices.Length;
            case IndexCoding.Bitmap: return n;
            default:
                long bits = 0;
                int previous = -1;
                foreach (int idx in indices)
                {
                    int gap = idx - previous;
                    if (gap < 1) throw new ArgumentException($"indices must be strictly increasing, got {idx} after {previous}", nameof(indices));
                    bits += 2 * (31 - int.LeadingZeroCount(gap)) + 1;
                    previous = idx;
                }
                return bits;
        }
    }
}
