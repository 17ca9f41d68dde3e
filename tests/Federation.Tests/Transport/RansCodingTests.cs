using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Transport;
using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public class RansCodingTests
{
    /// <summary>
    /// n codes of b bits, concentrated around 0 with a spread (standard deviation in codes) from the seed unless given, as
    /// quantized gossip differences are, or uniform.
    /// </summary>
    internal static sbyte[] Codes(int n, int bits, int seed, bool uniform = false, float? spread = null)
    {
        var rng = new RngStream((ulong)seed, 9);
        var x = new float[n];
        rng.FillNormal(x, 0, spread ?? 0.5f + rng.NextInt(8));
        int lo = -(1 << (bits - 1)), hi = (1 << (bits - 1)) - 1;
        return x.Select(v => (sbyte)(uniform ? lo + rng.NextInt(hi - lo + 1) : Math.Clamp((int)MathF.Round(v), lo, hi))).ToArray();
    }

    /// <summary>Code sets to try: b in 2..8, 1..<paramref name="maxN"/> codes, a seed, concentrated or uniform.</summary>
    internal static Gen<(int Bits, int N, int Seed, bool Uniform)> Cases(int maxN) =>
        from bits in Gen.Choose(2, 8)
        from n in Gen.Choose(1, maxN)
        from seed in Gen.Choose(0, 100_000)
        from uniform in Gen.Elements(false, true)
        select (bits, n, seed, uniform);

    private static sbyte[] RoundTrip(byte[] coded, int bits, int n)
    {
        var packed = new byte[Quantize.PackedLength(n, bits)];
        RansCoding.DecodePacked(coded, bits, n, packed, "t");
        var back = new sbyte[n];
        Quantize.Unpack(packed, bits, back);
        return back;
    }

    [Fact]
    public void DecodingGivesBackEveryCode() =>
        Prop.ForAll(Arb.From(Cases(20_000)), c =>
        {
            var codes = Codes(c.N, c.Bits, c.Seed, c.Uniform);
            Assert.Equal(codes, RoundTrip(RansCoding.Encode(codes, c.Bits), c.Bits, c.N));
        }).QuickCheckThrowOnFailure();

    [Theory]
    [InlineData(4, 1)]
    [InlineData(4, 3)]
    [InlineData(2, 1)]
    [InlineData(8, 20)]
    public void TheStreamIsWithinABitPerHundredCodesOfTheEntropy(int bits, int seed)
    {
        const int N = 100_000;
        var codes = Codes(N, bits, seed);
        double entropy = -codes.GroupBy(c => c).Sum(g => g.Count() * Math.Log2((double)g.Count() / N));
        int tableBytes = 5 << bits, stateBytes = 4;
        Assert.InRange(8.0 * RansCoding.Encode(codes, bits).Length, entropy, entropy + N / 100.0 + 8 * (tableBytes + stateBytes));
    }

    [Fact]
    public void OneRepeatedCodeCostsItsTableAndStateOnly()
    {
        var codes = new sbyte[50_000];
        Array.Fill(codes, (sbyte)-3);
        var coded = RansCoding.Encode(codes, 4);
        Assert.Equal(15 + 3 + 4, coded.Length); // 15 absent codes, M = 2^14 in a 3-byte varint, the state
        Assert.Equal(codes, RoundTrip(coded, 4, codes.Length));
    }

    [Fact]
    public void EveryTruncationOrExtensionIsRejectedWithOneLine()
    {
        var codes = Codes(3000, 4, 7);
        var coded = RansCoding.Encode(codes, 4);
        var packed = new byte[Quantize.PackedLength(codes.Length, 4)];
        for (int n = 0; n < coded.Length; n++)
        {
            var e = Assert.Throws<FormatException>(() => RansCoding.DecodePacked(coded.AsSpan(0, n), 4, codes.Length, packed, "tensor 3 'w'"));
            Assert.StartsWith("tensor 3 'w': ", e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
        var longer = coded.Append((byte)0).ToArray();
        Assert.Contains("unused", Assert.Throws<FormatException>(() => RansCoding.DecodePacked(longer, 4, codes.Length, packed, "t")).Message);
    }

    [Fact]
    public void FrequenciesThatDoNotSumToMAreRejected()
    {
        var coded = RansCoding.Encode(Codes(500, 2, 3), 2);
        var bad = (byte[])coded.Clone();
        bad[0] ^= 1;
        var packed = new byte[Quantize.PackedLength(500, 2)];
        var e = Assert.Throws<FormatException>(() => RansCoding.DecodePacked(bad, 2, 500, packed, "t"));
        Assert.Contains("sum to", e.Message);
    }

    [Fact]
    public void ACorruptStreamByteIsRejectedOrDecodesToOtherCodes()
    {
        var codes = Codes(2000, 4, 11);
        var coded = RansCoding.Encode(codes, 4);
        var packed = new byte[Quantize.PackedLength(codes.Length, 4)];
        for (int at = coded.Length - 40; at < coded.Length; at++)
        {
            var bad = (byte[])coded.Clone();
            bad[at] ^= 0x5A;
            try
            {
                RansCoding.DecodePacked(bad, 4, codes.Length, packed, "t");
                var back = new sbyte[codes.Length];
                Quantize.Unpack(packed, 4, back);
                Assert.NotEqual(codes, back);
            }
            catch (FormatException) { }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    public void BitWidthsOutsideTwoToEightAreRefused(int bits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => RansCoding.Encode([0, 1], bits));
}
