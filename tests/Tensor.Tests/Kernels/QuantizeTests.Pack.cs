using FsCheck;
using FsCheck.Fluent;
using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public partial class QuantizeTests
{
    [Theory]
    [MemberData(nameof(Sizes))]
    [Trait("Category", "Kernel")]
    public void PackMatchesReference(int n)
    {
        for (int bits = 1; bits <= 8; bits++)
        {
            var q = new sbyte[n];
            var rng = new RngStream((ulong)n, (ulong)bits);
            int lo = -(1 << (bits - 1)), span = 1 << bits;
            for (int i = 0; i < n; i++) q[i] = bits == 1 ? (sbyte)(rng.NextInt(2) * 2 - 1) : (sbyte)(lo + rng.NextInt(span));
            int len = Quantize.PackedLength(n, bits);
            Assert.Equal((n * bits + 7) / 8, len);
            var p = new byte[len];
            var pr = new byte[len];
            Quantize.Pack(q, bits, p);
            Quantize.PackReference(q, bits, pr);
            Assert.Equal(pr, p);
            var u = new sbyte[n];
            var ur = new sbyte[n];
            Quantize.Unpack(p, bits, u);
            Quantize.UnpackReference(p, bits, ur);
            Assert.Equal(q, u);
            Assert.Equal(q, ur);
        }
    }

    [Fact]
    public void PackUnpackRoundTrips() =>
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var a = Data(c.N, c.Seed);
            var q = new sbyte[c.N];
            Quantize.Stochastic(a, Quantize.Scale(a, c.Bits), c.Bits, new RngStream(3, 3), q);
            var p = new byte[Quantize.PackedLength(c.N, c.Bits)];
            Quantize.Pack(q, c.Bits, p);
            var u = new sbyte[c.N];
            Quantize.Unpack(p, c.Bits, u);
            Assert.Equal(q, u);
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void PackRejectsCodesOutsideTheRangeAndWrongBuffers()
    {
        Assert.Throws<ArgumentException>(() => Quantize.Pack(new sbyte[] { 2 }, 2, new byte[1]));
        Assert.Throws<ArgumentException>(() => Quantize.Pack(new sbyte[] { 0 }, 1, new byte[1]));
        Assert.Throws<ArgumentException>(() => Quantize.Pack(new sbyte[] { 1, 1 }, 4, new byte[2]));
        Assert.Throws<ArgumentException>(() => Quantize.Unpack(new byte[3], 4, new sbyte[3]));
    }
}
