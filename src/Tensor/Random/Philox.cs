using System.Runtime.CompilerServices;

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
