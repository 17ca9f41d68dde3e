using System.Buffers.Binary;

namespace NanoFed.Kernels;

public static partial class Quantize
{
    /// <summary>Bytes that <paramref name="count"/> b-bit codes occupy when packed: ceil(count · b / 8).</summary>
    public static int PackedLength(int count, int bits)
    {
        CheckBits(bits);
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        return checked((int)(((long)count * bits + 7) / 8));
    }

    /// <summary>
    /// Packs b-bit codes into a little-endian bit stream: code i occupies bits [i·b, i·b + b), bit 0 being the least
    /// significant bit of byte 0. A field holds the code's b-bit two's complement for b ≥ 2, and 1 for +1 / 0 for −1
    /// when b = 1. Unused high bits of the last byte are zero. <paramref name="packed"/> must hold exactly
    /// <see cref="PackedLength"/> bytes. Throws if a code is outside the b-bit range.
    /// </summary>
    public static void Pack(ReadOnlySpan<sbyte> q, int bits, Span<byte> packed)
    {
        CheckPacked(q.Length, bits, packed.Length);
        if (bits == 8)
        {
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(q).CopyTo(packed);
            return;
        }
        int lo = bits == 1 ? -1 : -(1 << (bits - 1)), hi = bits == 1 ? 1 : (1 << (bits - 1)) - 1;
        uint mask = (1u << bits) - 1;
        ulong acc = 0;
        int held = 0, o = 0;
        for (int i = 0; i < q.Length; i++)
        {
            int v = q[i];
            if (v < lo || v > hi || (bits == 1 && v == 0)) ThrowCode(i, v, bits);
            uint field = bits == 1 ? (uint)(v + 1) >> 1 : (uint)v & mask;
            acc |= (ulong)field << held;
            held += bits;
            if (held >= 32)
            {
                BinaryPrimitives.WriteUInt32LittleEndian(packed[o..], (uint)acc);
                o += 4;
                acc >>= 32;
                held -= 32;
            }
        }
        for (; held > 0; held -= 8, acc >>= 8) packed[o++] = (byte)acc;
    }

    /// <summary>Unpacks what <see cref="Pack"/> wrote: sign-extends each b-bit field (b = 1: bit 1 → +1, bit 0 → −1).</summary>
    public static void Unpack(ReadOnlySpan<byte> packed, int bits, Span<sbyte> q)
    {
        CheckPacked(q.Length, bits, packed.Length);
        if (bits == 8)
        {
            packed.CopyTo(System.Runtime.InteropServices.MemoryMarshal.AsBytes(q));
            return;
        }
        uint mask = (1u << bits) - 1;
        int shift = 32 - bits;
        ulong acc = 0;
        int held = 0, p = 0;
        for (int i = 0; i < q.Length; i++)
        {
            if (held < bits)
            {
                if (p + 4 <= packed.Length)
                {
                    acc |= (ulong)BinaryPrimitives.ReadUInt32LittleEndian(packed[p..]) << held;
                    p += 4;
                    held += 32;
                }
                else
                {
                    acc |= (ulong)packed[p++] << held;
                    held += 8;
                }
            }
            uint field = (uint)acc & mask;
            acc >>= bits;
            held -= bits;
            q[i] = bits == 1 ? (sbyte)((int)field * 2 - 1) : (sbyte)((int)(field << shift) >> shift);
        }
    }

    /// <summary>Reference twin of <see cref="Pack"/>: one bit at a time.</summary>
    public static void PackReference(ReadOnlySpan<sbyte> q, int bits, Span<byte> packed)
    {
        CheckPacked(q.Length, bits, packed.Length);
        packed.Clear();
        for (int i = 0; i < q.Length; i++)
        {
            int field = bits == 1 ? (q[i] > 0 ? 1 : 0) : q[i] & ((1 << bits) - 1);
            for (int j = 0; j < bits; j++)
            {
                long bit = (long)i * bits + j;
                if ((field >> j & 1) != 0) packed[(int)(bit / 8)] |= (byte)(1 << (int)(bit % 8));
            }
        }
    }

    /// <summary>Reference twin of <see cref="Unpack"/>: one bit at a time.</summary>
    public static void UnpackReference(ReadOnlySpan<byte> packed, int bits, Span<sbyte> q)
    {
        CheckPacked(q.Length, bits, packed.Length);
        for (int i = 0; i < q.Length; i++)
        {
            int field = 0;
            for (int j = 0; j < bits; j++)
            {
                long bit = (long)i * bits + j;
                field |= (packed[(int)(bit / 8)] >> (int)(bit % 8) & 1) << j;
            }
            q[i] = bits == 1 ? (sbyte)(field == 1 ? 1 : -1) : (sbyte)(field >= 1 << (bits - 1) ? field - (1 << bits) : field);
        }
    }

    private static void CheckPacked(int count, int bits, int packedLength)
    {
        int need = PackedLength(count, bits);
        if (packedLength != need)
            throw new ArgumentException($"{count} codes of {bits} bits pack into {need} bytes, got a buffer of {packedLength}");
    }

    private static void ThrowCode(int index, int value, int bits) =>
        throw new ArgumentException($"code {index} is {value}, outside the range of {bits}-bit codes");
}
