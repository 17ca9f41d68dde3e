using Xunit;

namespace NanoFed.Tests;

public class PhiloxTests
{
    // Random123 kat_vectors, philox4x32 with 10 rounds: counter (4 words), key (2 words) -> result (4 words).
    [Theory]
    [InlineData(new uint[] { 0, 0, 0, 0 }, new uint[] { 0, 0 }, new uint[] { 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8 })]
    [InlineData(new uint[] { 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff }, new uint[] { 0xffffffff, 0xffffffff },
        new uint[] { 0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd })]
    [InlineData(new uint[] { 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344 }, new uint[] { 0xa4093822, 0x299f31d0 },
        new uint[] { 0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1 })]
    public void KnownAnswers(uint[] counter, uint[] key, uint[] expected)
    {
        Philox.Block(counter[0], counter[1], counter[2], counter[3], key[0], key[1], out uint r0, out uint r1, out uint r2, out uint r3);
        Assert.Equal(expected, new[] { r0, r1, r2, r3 });

        var c = new UInt128(((ulong)counter[3] << 32) | counter[2], ((ulong)counter[1] << 32) | counter[0]);
        UInt128 r = Philox.Block(c, ((ulong)key[1] << 32) | key[0]);
        Assert.Equal(expected, new[] { (uint)r, (uint)(r >> 32), (uint)(r >> 64), (uint)(r >> 96) });
    }

    [Theory]
    [InlineData(0UL, 1)]
    [InlineData(0UL, 2)]
    [InlineData(5UL, 3)]
    [InlineData(0UL, 4)]
    [InlineData(9UL, 7)]
    [InlineData(0UL, 8)]
    [InlineData(1UL, 9)]
    [InlineData(3UL, 15)]
    [InlineData(0UL, 16)]
    [InlineData(0UL, 17)]
    [InlineData(0xFFFF_FFFBUL, 33)]
    [InlineData(ulong.MaxValue - 20, 21)]
    [Trait("Category", "Kernel")]
    public void BulkBlocksMatchSingleBlocks(ulong first, int blocks)
    {
        uint s0 = (uint)blocks * 0x9E3779B9, s1 = 0x01234567, k0 = (uint)first ^ 0xDEADBEEF, k1 = 42;
        var bulk = new uint[4 * blocks];
        Philox.Blocks(first, s0, s1, k0, k1, bulk);
        for (int j = 0; j < blocks; j++)
        {
            ulong b = first + (ulong)j;
            Philox.Block((uint)b, (uint)(b >> 32), s0, s1, k0, k1, out uint r0, out uint r1, out uint r2, out uint r3);
            Assert.Equal(new[] { r0, r1, r2, r3 }, bulk[(4 * j)..(4 * j + 4)]);
        }
    }
}
