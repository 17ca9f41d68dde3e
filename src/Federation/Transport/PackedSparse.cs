using NanoFed.Kernels;

namespace NanoFed.Federation.Transport;

/// <summary>
/// The body of a <see cref="WireEncoding.SparsePacked"/> tensor (<see cref="WireTensor.Pack"/>), after the usual tensor
/// header (rank 1, the total length):
/// <code>
/// segments varint | index encoding u8 (3, 5 or 6) | bits u8 (0: float32 values, else 2..8)
/// per segment:  n varint | k varint | scale f32 (b-bit values only)
/// values:       f32 × Σk, or each segment's codes, ceil(k·b/8) bytes, one after the other
/// indices:      each segment's k indices, relative to its start, in the index encoding (uint16 falls back to int32
///               for a segment of more than 65,536 entries), one after the other
/// </code>
/// Varints are unsigned LEB128 (7 bits a byte, low first, at most 5 bytes, minimal). Against one tensor per segment
/// this saves each segment's name, encoding, rank, dimension, body length and 32-bit count: about 17 of the 24 bytes
/// a Sparse-Push part of a ResNet-20 tensor spends outside its values and indices.
/// </summary>
internal static class PackedSparse
{
    /// <summary>The index encoding of a segment of <paramref name="n"/> entries under the packed tensor's <paramref name="nominal"/> one.</summary>
    public static WireEncoding SegmentEncoding(WireEncoding nominal, int n) =>
        nominal == WireEncoding.SparseUInt16 && n > 65_536 ? WireEncoding.Sparse : nominal;

    /// <summary>Bytes of <paramref name="v"/> as an unsigned LEB128 varint.</summary>
    public static int VarintBytes(uint v)
    {
        int bytes = 1;
        while (v >= 0x80)
        {
            v >>= 7;
            bytes++;
        }
        return bytes;
    }

    /// <summary>The whole body's bytes.</summary>
    public static long BodyBytes(WireTensor t)
    {
        int segments = t.SegmentLengths.Length;
        long bytes = VarintBytes((uint)segments) + 2L;
        for (int l = 0; l < segments; l++)
        {
            bytes += VarintBytes((uint)t.SegmentLengths[l]) + VarintBytes((uint)t.SegmentCounts[l]) + (t.Bits == 0 ? 0 : 4);
            bytes += t.Bits == 0 ? 4L * t.SegmentCounts[l] : Quantize.PackedLength(t.SegmentCounts[l], t.Bits);
        }
        return bytes + IndexBytes(t);
    }

    /// <summary>The indices' bytes, all segments.</summary>
    public static long IndexBytes(WireTensor t)
    {
        long bytes = 0;
        for (int l = 0, at = 0; l < t.SegmentLengths.Length; at += t.SegmentCounts[l], l++)
        {
            int n = t.SegmentLengths[l];
            bytes += SparseIndices.Bytes(SegmentEncoding(t.IndexEncoding, n), t.Indices.AsSpan(at, t.SegmentCounts[l]), n)!.Value;
        }
        return bytes;
    }

    /// <summary>Segment <paramref name="l"/>'s indices relative to its start (<paramref name="start"/>, its first entry <paramref name="at"/>).</summary>
    public static int[] RelativeIndices(WireTensor t, int l, int start, int at)
    {
        var relative = new int[t.SegmentCounts[l]];
        for (int j = 0; j < relative.Length; j++) relative[j] = t.Indices[at + j] - start;
        return relative;
    }
}
