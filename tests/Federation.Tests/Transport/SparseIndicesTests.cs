using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests.Federation;

/// <summary>The index codings of the sparse wire encodings: exact sizes, round trips and rejection of malformed bytes.</summary>
public class SparseIndicesTests
{
    private static Gen<(int N, int[] Indices, int Seed)> Cases =>
        from n in Gen.Elements(1, 2, 7, 8, 9, 63, 64, 65, 1000, 65_536, 65_537, 200_000)
        from percent in Gen.Choose(0, 100)
        from seed in Gen.Choose(0, 1_000_000)
        select (n, Pick(n, percent / 100.0, seed), seed);

    private static int[] Pick(int n, double keep, int seed)
    {
        var rng = new RngStream((ulong)seed, 3);
        var kept = new List<int>();
        for (int i = 0; i < n && kept.Count < 5000; i++)
            if (rng.NextFloat() < keep) kept.Add(i);
        return [.. kept];
    }

    private static byte[] Serialized(WireTensor t) => WireFormat.Serialize(new Message(0, 0, 1, MessageKind.Weights, [t]));

    [Fact]
    public void EveryCodingRoundTripsAndTakesItsStatedBytes()
    {
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var values = c.Indices.Select(i => (float)i - 0.5f).ToArray();
            foreach (var coding in Enum.GetValues<IndexCoding>())
            {
                var t = WireTensor.Sparse("t", new Shape(c.N), values, c.Indices, coding);
                long indexBytes = coding switch
                {
                    IndexCoding.Int32 => 4L * c.Indices.Length,
                    IndexCoding.UInt16 => (c.N <= 65_536 ? 2L : 4L) * c.Indices.Length,
                    IndexCoding.Bitmap => (c.N + 7) / 8,
                    _ => (SparseIndices.GammaBits(c.Indices) + 7) / 8,
                };
                var bytes = Serialized(t);
                // Message header 22, tensor header 2 + 1 + 1 + 1 + 4 + 4 = 13, body k (4) + values (4k) + indices.
                Assert.Equal(22 + 13 + 4 + 4L * c.Indices.Length + indexBytes, bytes.LongLength);
                var back = WireFormat.Deserialize(bytes)["t"];
                Assert.Equal(c.Indices, back.Indices);
                Assert.Equal(values, back.Values);
                Assert.Equal(t.Encoding, back.Encoding);
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void GammaCodesAreTheTextbookOnes()
    {
        // Gaps 1, 2, 4 (indices 0, 2, 6): "1", "010", "00100" at stream bits 0..8, bit p = bit p mod 8 of byte p / 8.
        var bytes = Serialized(WireTensor.Sparse("t", new Shape(10), [1, 2, 3], [0, 2, 6], IndexCoding.EliasGammaDelta));
        Assert.Equal(9, SparseIndices.GammaBits([0, 2, 6]));
        Assert.Equal([0b0100_0101, 0b0000_0000], bytes[^2..]);
    }

    public static TheoryData<IndexCoding, string, string> Corruptions => new()
    {
        { IndexCoding.Int32, "decrease", "increase strictly" },
        { IndexCoding.UInt16, "decrease", "increase strictly" },
        { IndexCoding.Int32, "range", "outside" },
        { IndexCoding.UInt16, "range", "outside" },
        { IndexCoding.Bitmap, "padding", "padding bit" },
        { IndexCoding.Bitmap, "count", "bitmap marks" },
        { IndexCoding.EliasGammaDelta, "padding", "padding bits" },
        { IndexCoding.EliasGammaDelta, "range", "outside" },
        { IndexCoding.EliasGammaDelta, "truncate", "" },
    };

    [Theory]
    [MemberData(nameof(Corruptions))]
    public void MalformedIndicesAreRejectedWithOneLine(IndexCoding coding, string corruption, string reason)
    {
        // Tensor of n = 12 entries, kept 1, 4, 9 (gaps 2, 3, 5: 3 + 3 + 5 = 11 gamma bits, two bytes).
        var bytes = Serialized(WireTensor.Sparse("t", new Shape(12), [1, 2, 3], [1, 4, 9], coding));
        int indices = 22 + 13 + 4 + 12;
        switch (coding, corruption)
        {
            case (IndexCoding.Int32, "decrease"): bytes[indices + 8] = 3; break;
            case (IndexCoding.UInt16, "decrease"): bytes[indices + 4] = 3; break;
            case (IndexCoding.Int32 or IndexCoding.UInt16, "range"): bytes[indices] = 12; break;
            case (IndexCoding.Bitmap, "padding"): bytes[^1] |= 0x80; break;
            case (IndexCoding.Bitmap, "count"): bytes[indices] |= 0x01; break;
            case (IndexCoding.EliasGammaDelta, "padding"): bytes[^1] |= 0x80; break;
            // Gaps 1, 1, 12 ("1", "1", "0001100"): indices 0, 1, 13, past n = 12.
            case (IndexCoding.EliasGammaDelta, "range"): bytes[indices] = 0b0110_0011; bytes[indices + 1] = 0; break;
            default:
                var shorter = bytes[..^1];
                // The body length in the tensor header still claims the full body.
                Assert.Throws<FormatException>(() => WireFormat.Deserialize(shorter));
                return;
        }
        var e = Assert.Throws<FormatException>(() => WireFormat.Deserialize(bytes));
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
