using System.Buffers.Binary;
using NanoFed.Kernels;

namespace NanoFed.Federation.Transport;

/// <summary>
/// Lossless entropy coding of b-bit quantization codes (2 ≤ b ≤ 8) with a static model: byte-wise rANS (Duda,
/// "Asymmetric numeral systems", arXiv 1311.2540; the byte-renormalized variant of Giesen's ryg_rans) over the
/// tensor's own code frequencies, normalized to M = 2^14. The quantized differences of a gossip run concentrate on
/// the few codes around 0, so their zero-order entropy is well under b bits per entry.
/// <code>
/// coded:  frequency varint × 2^b (symbol s = code + 2^(b−1); they sum to M) | final state u32 | renormalization bytes
/// </code>
/// Encoding and decoding are integer arithmetic only, so both ends see the same bytes on every machine. Decoding
/// checks that the frequencies sum to M, that the stream is neither short nor long, and that it ends in the
/// encoder's initial state, and throws <see cref="FormatException"/> with one line otherwise.
/// </summary>
public static class RansCoding
{
    /// <summary>log2 M, the precision of the normalized frequencies.</summary>
    public const int ScaleBits = 14;

    /// <summary>
    /// The most the coding may shrink the packed codes (⌈n·b / 8⌉ bytes against the coded bytes): a tensor of one
    /// repeated code costs its table and state whatever its length, so without a bound a small forged message could make
    /// a receiver allocate without limit; an encoder sends a tensor beyond it uncoded (<see cref="WireTensor.FromCodesCoded"/>).
    /// </summary>
    public const int MaxRatio = 6;

    private const uint M = 1u << ScaleBits;
    private const uint Low = 1u << 23;

    /// <summary>The coded form of <paramref name="codes"/> (at least one), each in [−2^(b−1), 2^(b−1)).</summary>
    public static byte[] Encode(ReadOnlySpan<sbyte> codes, int bits)
    {
        CheckBits(bits);
        if (codes.IsEmpty) throw new ArgumentException("nothing to code", nameof(codes));
        int symbols = 1 << bits, offset = symbols / 2;
        var counts = new long[symbols];
        foreach (sbyte c in codes)
        {
            int s = c + offset;
            if ((uint)s >= (uint)symbols) throw new ArgumentOutOfRangeException(nameof(codes), c, $"code outside the {bits}-bit range");
            counts[s]++;
        }
        var freq = Normalize(counts, codes.Length);
        var start = Starts(freq);

        // rANS emits in reverse: encode the last code first, writing bytes from the end of the buffer backwards.
        var stream = new byte[2 * codes.Length + 4];
        int at = stream.Length;
        uint x = Low;
        for (int i = codes.Length - 1; i >= 0; i--)
        {
            int s = codes[i] + offset;
            uint f = freq[s];
            uint max = ((Low >> ScaleBits) << 8) * f;
            while (x >= max)
            {
                stream[--at] = (byte)x;
                x >>= 8;
            }
            x = (x / f << ScaleBits) + x % f + start[s];
        }
        at -= 4;
        BinaryPrimitives.WriteUInt32LittleEndian(stream.AsSpan(at), x);

        var table = new byte[5 * symbols];
        int tableBytes = 0;
        foreach (uint f in freq)
            for (uint v = f; ; v >>= 7)
            {
                table[tableBytes++] = (byte)(v >= 0x80 ? v | 0x80 : v);
                if (v < 0x80) break;
            }
        var coded = new byte[tableBytes + stream.Length - at];
        table.AsSpan(0, tableBytes).CopyTo(coded);
        stream.AsSpan(at).CopyTo(coded.AsSpan(tableBytes));
        return coded;
    }

    /// <summary>
    /// Decodes <paramref name="count"/> codes of <paramref name="bits"/> bits into <paramref name="packed"/> as
    /// <see cref="Quantize.Pack"/> lays them out (⌈count·b / 8⌉ bytes), a chunk at a time so that nothing the size of
    /// the codes is allocated; <paramref name="what"/> names the tensor in errors.
    /// </summary>
    public static void DecodePacked(ReadOnlySpan<byte> coded, int bits, int count, Span<byte> packed, string what)
    {
        CheckBits(bits);
        int symbols = 1 << bits, offset = symbols / 2, at = 0;
        var freq = new uint[symbols];
        long sum = 0;
        for (int s = 0; s < symbols; s++)
        {
            uint v = 0;
            for (int shift = 0; ; shift += 7)
            {
                if (at == coded.Length) throw new FormatException($"{what}: truncated rANS frequency table");
                byte b = coded[at++];
                if (shift == 14 && b > 0x03) throw new FormatException($"{what}: rANS frequency exceeds {M}");
                v |= (uint)(b & 0x7F) << shift;
                if ((b & 0x80) == 0)
                {
                    if (b == 0 && shift > 0) throw new FormatException($"{what}: rANS frequency varint is not minimal");
                    break;
                }
            }
            freq[s] = v;
            sum += v;
        }
        if (sum != M) throw new FormatException($"{what}: rANS frequencies sum to {sum}, not {M}");
        var start = Starts(freq);
        var slot = new byte[M];
        for (int s = 0; s < symbols; s++) slot.AsSpan((int)start[s], (int)freq[s]).Fill((byte)s);

        if (coded.Length - at < 4) throw new FormatException($"{what}: rANS stream shorter than its 4-byte state");
        uint x = BinaryPrimitives.ReadUInt32LittleEndian(coded[at..]);
        at += 4;
        // 4096 codes of any width fill whole bytes, so the chunks pack one after the other.
        Span<sbyte> chunk = stackalloc sbyte[4096];
        for (int done = 0; done < count; done += chunk.Length)
        {
            var codes = chunk[..Math.Min(chunk.Length, count - done)];
            for (int i = 0; i < codes.Length; i++)
            {
                int s = slot[x & (M - 1)];
                codes[i] = (sbyte)(s - offset);
                x = freq[s] * (x >> ScaleBits) + (x & (M - 1)) - start[s];
                while (x < Low)
                {
                    if (at == coded.Length) throw new FormatException($"{what}: rANS stream ends after {done + i + 1} of {count} codes");
                    x = x << 8 | coded[at++];
                }
            }
            Quantize.Pack(codes, bits, packed.Slice(done / 8 * bits, Quantize.PackedLength(codes.Length, bits)));
        }
        if (at != coded.Length) throw new FormatException($"{what}: {coded.Length - at} unused rANS stream bytes");
        if (x != Low) throw new FormatException($"{what}: rANS stream does not end in its initial state");
    }

    /// <summary>
    /// Frequencies summing to M: each of the P present symbols gets 1 + ⌊count·(M − P) / n⌋ and the most frequent one
    /// also what the rounding left, so every present symbol keeps a frequency of at least 1.
    /// </summary>
    private static uint[] Normalize(long[] counts, int n)
    {
        var freq = new uint[counts.Length];
        long present = counts.Count(c => c > 0), total = 0;
        int largest = 0;
        for (int s = 0; s < counts.Length; s++)
        {
            if (counts[s] > counts[largest]) largest = s;
            if (counts[s] == 0) continue;
            freq[s] = (uint)(1 + counts[s] * (M - present) / n);
            total += freq[s];
        }
        freq[largest] += (uint)(M - total);
        return freq;
    }

    private static uint[] Starts(uint[] freq)
    {
        var start = new uint[freq.Length];
        for (int s = 1; s < freq.Length; s++) start[s] = start[s - 1] + freq[s - 1];
        return start;
    }

    private static void CheckBits(int bits)
    {
        if (bits is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "rANS codes b-bit codes, 2 ≤ b ≤ 8");
    }
}
