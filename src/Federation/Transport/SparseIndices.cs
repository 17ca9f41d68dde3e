using System.Buffers.Binary;

namespace NanoFed.Federation.Transport;

/// <summary>
/// The index codings of the sparse wire encodings (<see cref="IndexCoding"/>): how k strictly increasing indices of a
/// tensor of n entries become bytes and back. Bit streams are little-endian like <see cref="NanoFed.Kernels.Quantize.Pack"/>:
/// stream bit p is bit p mod 8 of byte p / 8, and the unused high bits of the last byte are zero. Readers check
/// everything (range, strict increase, padding, exact length) and throw <see cref="FormatException"/> with one line.
/// </summary>
public static class SparseIndices
{
    /// <summary>Bytes of the indices of <paramref name="tensor"/> (a sparse encoding) on the wire.</summary>
    public static long Bytes(WireTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (tensor.Encoding == WireEncoding.SparsePacked) return PackedSparse.IndexBytes(tensor);
        return Bytes(tensor.IndexEncoding, tensor.Indices, tensor.Shape.Length)
            ?? throw new ArgumentException($"'{tensor.Name}' is not sparse ({tensor.Encoding})", nameof(tensor));
    }

    /// <summary>Bytes of <paramref name="indices"/> into n = <paramref name="n"/> entries in <paramref name="encoding"/>'s coding; null when it is not a sparse encoding.</summary>
    internal static long? Bytes(WireEncoding encoding, ReadOnlySpan<int> indices, int n) => encoding switch
    {
        WireEncoding.Sparse => 4L * indices.Length,
        WireEncoding.SparseUInt16 => 2L * indices.Length,
        WireEncoding.SparseBitmap => (n + 7L) / 8,
        WireEncoding.SparseGamma => (GammaBits(indices) + 7) / 8,
        _ => null,
    };

    /// <summary>Σ_j (2·⌊log2 g_j⌋ + 1) over the gaps g_j = idx_j − idx_(j−1), idx_(−1) = −1 (indices strictly increasing).</summary>
    public static long GammaBits(ReadOnlySpan<int> indices)
    {
        long bits = 0;
        int previous = -1;
        foreach (int idx in indices)
        {
            bits += 2 * (31 - int.LeadingZeroCount(idx - previous)) + 1;
            previous = idx;
        }
        return bits;
    }

    /// <summary>Writes the indices of <paramref name="tensor"/> in its coding into <paramref name="destination"/> (exactly <see cref="Bytes(WireTensor)"/> long).</summary>
    internal static void Write(WireTensor tensor, Span<byte> destination) => Write(tensor.IndexEncoding, tensor.Indices, destination);

    /// <summary>Writes <paramref name="indices"/> in <paramref name="encoding"/>'s coding into <paramref name="destination"/> (exactly as long as they take).</summary>
    internal static void Write(WireEncoding encoding, ReadOnlySpan<int> indices, Span<byte> destination)
    {
        switch (encoding)
        {
            case WireEncoding.Sparse:
                for (int j = 0; j < indices.Length; j++) BinaryPrimitives.WriteInt32LittleEndian(destination[(4 * j)..], indices[j]);
                break;
            case WireEncoding.SparseUInt16:
                for (int j = 0; j < indices.Length; j++) BinaryPrimitives.WriteUInt16LittleEndian(destination[(2 * j)..], checked((ushort)indices[j]));
                break;
            case WireEncoding.SparseBitmap:
                destination.Clear();
                foreach (int idx in indices) destination[idx >> 3] |= (byte)(1 << (idx & 7));
                break;
            default:
                WriteGamma(indices, destination);
                break;
        }
    }

    private static void WriteGamma(ReadOnlySpan<int> indices, Span<byte> destination)
    {
        destination.Clear();
        long p = 0;
        int previous = -1;
        foreach (int idx in indices)
        {
            int gap = idx - previous, top = 31 - int.LeadingZeroCount(gap);
            p += top;
            for (int b = top; b >= 0; b--, p++)
                if ((gap >> b & 1) != 0) destination[(int)(p >> 3)] |= (byte)(1 << (int)(p & 7));
            previous = idx;
        }
    }

    /// <summary>
    /// Reads <paramref name="k"/> indices of a tensor of <paramref name="n"/> entries in <paramref name="encoding"/>
    /// from all of <paramref name="source"/>; <paramref name="what"/> names the tensor in errors.
    /// </summary>
    internal static int[] Read(WireEncoding encoding, ReadOnlySpan<byte> source, int k, int n, string what)
    {
        var indices = new int[k];
        switch (encoding)
        {
            case WireEncoding.Sparse:
                Expect(source.Length, 4L * k, what);
                for (int j = 0; j < k; j++) indices[j] = BinaryPrimitives.ReadInt32LittleEndian(source[(4 * j)..]);
                break;
            case WireEncoding.SparseUInt16:
                if (n > 65_536) throw new FormatException($"{what}: uint16 indices for a tensor of {n} entries");
                Expect(source.Length, 2L * k, what);
                for (int j = 0; j < k; j++) indices[j] = BinaryPrimitives.ReadUInt16LittleEndian(source[(2 * j)..]);
                break;
            case WireEncoding.SparseBitmap:
                ReadBitmap(source, indices, n, what);
                break;
            default:
                ReadGamma(source, indices, n, what);
                break;
        }
        try { WireTensor.CheckIndices(indices, n); }
        catch (ArgumentException e) { throw new FormatException($"{what}: {e.Message}"); }
        return indices;
    }

    private static void ReadBitmap(ReadOnlySpan<byte> source, int[] indices, int n, string what)
    {
        Expect(source.Length, (n + 7L) / 8, what);
        int j = 0;
        for (int i = 0; i < 8 * source.Length; i++)
        {
            if ((source[i >> 3] >> (i & 7) & 1) == 0) continue;
            if (i >= n) throw new FormatException($"{what}: bitmap padding bit {i} is set (tensor of {n} entries)");
            if (j == indices.Length) throw new FormatException($"{what}: bitmap marks more than its {indices.Length} values");
            indices[j++] = i;
        }
        if (j != indices.Length) throw new FormatException($"{what}: bitmap marks {j} entries for {indices.Length} values");
    }

    private static void ReadGamma(ReadOnlySpan<byte> source, int[] indices, int n, string what)
    {
        long p = 0, bits = 8L * source.Length;
        long previous = -1;
        for (int j = 0; j < indices.Length; j++)
        {
            int zeros = 0;
            while (p < bits && Bit(source, p) == 0) { zeros++; p++; }
            if (p == bits) throw new FormatException($"{what}: Elias-gamma stream ends inside gap {j} of {indices.Length}");
            if (zeros > 30 || p + zeros + 1 > bits) throw new FormatException($"{what}: Elias-gamma gap {j} has an impossible length ({zeros} leading zeros)");
            long gap = 0;
            for (int b = 0; b <= zeros; b++, p++) gap = gap << 1 | (uint)Bit(source, p);
            previous += gap;
            if (previous >= n) throw new FormatException($"{what}: sparse index {previous} outside [0, {n})");
            indices[j] = (int)previous;
        }
        if ((p + 7) / 8 != source.Length) throw new FormatException($"{what}: Elias-gamma stream of {source.Length} bytes holds {(p + 7) / 8} bytes of codes");
        for (; p < bits; p++)
            if (Bit(source, p) != 0) throw new FormatException($"{what}: padding bits after the Elias-gamma codes are not zero");
    }

    private static int Bit(ReadOnlySpan<byte> source, long p) => source[(int)(p >> 3)] >> (int)(p & 7) & 1;

    private static void Expect(int actual, long expected, string what)
    {
        if (actual != expected) throw new FormatException($"{what}: indices take {actual} bytes, expected {expected}");
    }
}
