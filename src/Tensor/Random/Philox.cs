using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NanoFed;

/// <summary>
/// The Philox4x32-10 counter-based generator (Salmon, Moraes, Dror, Shaw, "Parallel random numbers: as easy
/// as 1, 2, 3", SC 2011, section 3.2): a keyed bijection of a 128-bit counter, so the i-th random block is a
/// pure function of (counter, key) and any block can be computed without computing the ones before it.
/// Ten rounds of two 32×32→64-bit multiplications (constants M0, M1) with a Weyl key schedule (W0, W1), as in
/// Random123's <c>philox4x32_R(10, ...)</c>; the known-answer vectors of Random123's kat_vectors match.
/// </summary>
public static class Philox
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57;
    private const uint W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>
    /// One Philox4x32-10 block. Word i of <paramref name="counter"/>, of the result, and of <paramref name="key"/>
    /// is bits [32i, 32i + 32) (little-endian word order: word 0 is the least significant).
    /// </summary>
    public static UInt128 Block(UInt128 counter, ulong key)
    {
        Block((uint)counter, (uint)(counter >> 32), (uint)(counter >> 64), (uint)(counter >> 96),
            (uint)key, (uint)(key >> 32), out uint r0, out uint r1, out uint r2, out uint r3);
        return new UInt128(((ulong)r3 << 32) | r2, ((ulong)r1 << 32) | r0);
    }

    /// <summary>One Philox4x32-10 block on explicit words: counter (c0..c3), key (k0, k1), result (r0..r3).</summary>
    [MethodImpl(Inlining.HotPath)]
    public static void Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1,
        out uint r0, out uint r1, out uint r2, out uint r3)
    {
        // Round 1, then nine rounds each preceded by a key bump (Random123's unrolled philox4x32_R).
        Round(ref c0, ref c1, ref c2, ref c3, k0, k1);
        for (int i = 1; i < 10; i++)
        {
            k0 += W0;
            k1 += W1;
            Round(ref c0, ref c1, ref c2, ref c3, k0, k1);
        }
        r0 = c0;
        r1 = c1;
        r2 = c2;
        r3 = c3;
    }

    /// <summary>
    /// Consecutive blocks: <paramref name="destination"/> (length a multiple of 4) receives the blocks of counters
    /// (first + j, stream) for j = 0, 1, ..., words in order, i.e. block j's word w at index 4j + w, where the counter's
    /// low 64 bits are the block index and its high 64 bits are (s0, s1). Runs 8, 4 or 2 blocks at a time in
    /// 64-bit vector lanes (512 → 256 → 128), then one at a time; every path computes the same bits as
    /// <see cref="Block(uint, uint, uint, uint, uint, uint, out uint, out uint, out uint, out uint)"/>.
    /// </summary>
    [MethodImpl(Inlining.HotPath)]
    internal static void Blocks(ulong first, uint s0, uint s1, uint k0, uint k1, Span<uint> destination)
    {
        int blocks = destination.Length / 4, j = 0;
        var d = MemoryMarshal.Cast<uint, ulong>(destination);
        Span<ulong> tmp = stackalloc ulong[16];
        if (BitConverter.IsLittleEndian && Vector512.IsHardwareAccelerated)
        {
            var lanes = Vector512.Create(0UL, 1, 2, 3, 4, 5, 6, 7);
            for (; j + 8 <= blocks; j += 8)
            {
                Rounds512(Vector512.Create(first + (ulong)j) + lanes, s0, s1, k0, k1, out var lo, out var hi);
                lo.CopyTo(tmp);
                hi.CopyTo(tmp[8..]);
                Interleave(tmp, 8, d.Slice(2 * j, 16));
            }
        }
        if (BitConverter.IsLittleEndian && Vector256.IsHardwareAccelerated)
        {
            var lanes = Vector256.Create(0UL, 1, 2, 3);
            for (; j + 4 <= blocks; j += 4)
            {
                Rounds256(Vector256.Create(first + (ulong)j) + lanes, s0, s1, k0, k1, out var lo, out var hi);
                lo.CopyTo(tmp);
                hi.CopyTo(tmp[4..]);
                Interleave(tmp, 4, d.Slice(2 * j, 8));
            }
        }
        if (BitConverter.IsLittleEndian && Vector128.IsHardwareAccelerated)
        {
            var lanes = Vector128.Create(0UL, 1);
            for (; j + 2 <= blocks; j += 2)
            {
                Rounds128(Vector128.Create(first + (ulong)j) + lanes, s0, s1, k0, k1, out var lo, out var hi);
                lo.CopyTo(tmp);
                hi.CopyTo(tmp[2..]);
                Interleave(tmp, 2, d.Slice(2 * j, 4));
            }
        }
        for (; j < blocks; j++)
        {
            ulong b = first + (ulong)j;
            int i = 4 * j;
            Block((uint)b, (uint)(b >> 32), s0, s1, k0, k1, out destination[i], out destination[i + 1], out destination[i + 2], out destination[i + 3]);
        }
    }

    /// <summary>Block t's words (0, 1) are in lo lane t and (2, 3) in hi lane t (tmp = lo lanes, then hi lanes): write them in order.</summary>
    [MethodImpl(Inlining.ShortMethod)]
    private static void Interleave(ReadOnlySpan<ulong> tmp, int lanes, Span<ulong> d)
    {
        for (int t = 0; t < lanes; t++)
        {
            d[2 * t] = tmp[t];
            d[2 * t + 1] = tmp[lanes + t];
        }
    }

    // The vector rounds keep each 32-bit word zero-extended in a 64-bit lane, so one 64-bit product gives both
    // halves of mulhilo. On x86 the product is pmuludq (32×32→64 on the low halves), elsewhere a 64-bit multiply.

    [MethodImpl(Inlining.HotPath)]
    private static void Rounds512(Vector512<ulong> index, uint s0, uint s1, uint k0, uint k1, out Vector512<ulong> lo, out Vector512<ulong> hi)
    {
        var low = Vector512.Create(0xFFFF_FFFFUL);
        Vector512<ulong> c0 = index & low, c1 = index >>> 32, c2 = Vector512.Create((ulong)s0), c3 = Vector512.Create((ulong)s1);
        for (int r = 0; r < 10; r++, k0 += W0, k1 += W1)
        {
            var p0 = Avx512F.IsSupported ? Avx512F.Multiply(c0.AsUInt32(), Vector512.Create((ulong)M0).AsUInt32()) : c0 * M0;
            var p1 = Avx512F.IsSupported ? Avx512F.Multiply(c2.AsUInt32(), Vector512.Create((ulong)M1).AsUInt32()) : c2 * M1;
            c0 = (p1 >>> 32) ^ c1 ^ Vector512.Create((ulong)k0);
            c1 = p1 & low;
            c2 = (p0 >>> 32) ^ c3 ^ Vector512.Create((ulong)k1);
            c3 = p0 & low;
        }
        lo = c0 | (c1 << 32);
        hi = c2 | (c3 << 32);
    }

    [MethodImpl(Inlining.HotPath)]
    private static void Rounds256(Vector256<ulong> index, uint s0, uint s1, uint k0, uint k1, out Vector256<ulong> lo, out Vector256<ulong> hi)
    {
        var low = Vector256.Create(0xFFFF_FFFFUL);
        Vector256<ulong> c0 = index & low, c1 = index >>> 32, c2 = Vector256.Create((ulong)s0), c3 = Vector256.Create((ulong)s1);
        for (int r = 0; r < 10; r++, k0 += W0, k1 += W1)
        {
            var p0 = Avx2.IsSupported ? Avx2.Multiply(c0.AsUInt32(), Vector256.Create((ulong)M0).AsUInt32()) : c0 * M0;
            var p1 = Avx2.IsSupported ? Avx2.Multiply(c2.AsUInt32(), Vector256.Create((ulong)M1).AsUInt32()) : c2 * M1;
            c0 = (p1 >>> 32) ^ c1 ^ Vector256.Create((ulong)k0);
            c1 = p1 & low;
            c2 = (p0 >>> 32) ^ c3 ^ Vector256.Create((ulong)k1);
            c3 = p0 & low;
        }
        lo = c0 | (c1 << 32);
        hi = c2 | (c3 << 32);
    }

    [MethodImpl(Inlining.HotPath)]
    private static void Rounds128(Vector128<ulong> index, uint s0, uint s1, uint k0, uint k1, out Vector128<ulong> lo, out Vector128<ulong> hi)
    {
        var low = Vector128.Create(0xFFFF_FFFFUL);
        Vector128<ulong> c0 = index & low, c1 = index >>> 32, c2 = Vector128.Create((ulong)s0), c3 = Vector128.Create((ulong)s1);
        for (int r = 0; r < 10; r++, k0 += W0, k1 += W1)
        {
            var p0 = Sse2.IsSupported ? Sse2.Multiply(c0.AsUInt32(), Vector128.Create((ulong)M0).AsUInt32()) : c0 * M0;
            var p1 = Sse2.IsSupported ? Sse2.Multiply(c2.AsUInt32(), Vector128.Create((ulong)M1).AsUInt32()) : c2 * M1;
            c0 = (p1 >>> 32) ^ c1 ^ Vector128.Create((ulong)k0);
            c1 = p1 & low;
            c2 = (p0 >>> 32) ^ c3 ^ Vector128.Create((ulong)k1);
            c3 = p0 & low;
        }
        lo = c0 | (c1 << 32);
        hi = c2 | (c3 << 32);
    }

    [MethodImpl(Inlining.ShortMethod)]
    private static void Round(ref uint c0, ref uint c1, ref uint c2, ref uint c3, uint k0, uint k1)
    {
        ulong p0 = (ulong)M0 * c0;
        ulong p1 = (ulong)M1 * c2;
        uint n0 = (uint)(p1 >> 32) ^ c1 ^ k0;
        uint n1 = (uint)p1;
        uint n2 = (uint)(p0 >> 32) ^ c3 ^ k1;
        uint n3 = (uint)p0;
        c0 = n0;
        c1 = n1;
        c2 = n2;
        c3 = n3;
    }
}
