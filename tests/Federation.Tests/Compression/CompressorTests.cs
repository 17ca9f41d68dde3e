using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Compression;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests.Federation;

public class CompressorTests
{
    private static float[] Data(int n, int seed)
    {
        var v = new float[n];
        new RngStream((ulong)seed, 5).FillNormal(v);
        // A few exact ties and zeros so that tie-breaking and sign(0) are exercised.
        for (int i = 0; i + 7 < n; i += 11) { v[i + 7] = -v[i]; v[i + 3] = 0; }
        return v;
    }

    private static Gen<(int N, double Keep, int Seed)> Cases =>
        from n in Gen.Choose(1, 400)
        from keepPercent in Gen.Choose(0, 100)
        from seed in Gen.Choose(0, 1_000_000)
        select (n, keepPercent / 100.0, seed);

    [Fact]
    public void TopKKeepsExactlyKEntriesOfLargestMagnitude()
    {
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var v = Data(c.N, c.Seed);
            var p = new TopKCompressor(c.Keep).Compress("t", v, null);
            int k = Math.Max(1, (int)Math.Floor(c.N * c.Keep));
            Assert.Equal(k, p.Values.Length);
            Assert.Equal(k, p.Indices.Length);
            Assert.Equal(k, p.Indices.Distinct().Count());
            Assert.True(p.Indices.Zip(p.Indices.Skip(1)).All(q => q.First < q.Second), "indices increasing");
            for (int j = 0; j < k; j++) Assert.Equal(v[p.Indices[j]], p.Values[j]);
            float smallestKept = p.Values.Min(MathF.Abs);
            var kept = p.Indices.ToHashSet();
            for (int i = 0; i < c.N; i++)
                if (!kept.Contains(i)) Assert.True(MathF.Abs(v[i]) <= smallestKept, $"dropped |v[{i}]| = {MathF.Abs(v[i])} > kept {smallestKept}");
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void ErrorFeedbackLosesNothingBitwise()
    {
        // c + (v − c) == v bit for bit: sparsifiers keep v's own values (e = v − v = 0 there, e = v elsewhere) and
        // nearest quantization has |v − c| ≤ s/2 with |c| ≥ s, so v − c is exact (Sterbenz).
        ICompressor[] compressors = [new TopKCompressor(0.01), new TopKCompressor(0.3), new RandomKCompressor(0.1), new QuantizeCompressor(2), new QuantizeCompressor(4), new QuantizeCompressor(8)];
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var v = Data(c.N, c.Seed);
            for (int m = 0; m < compressors.Length; m++)
            {
                var dense = new float[c.N];
                compressors[m].Compress("t", v, new RngStream((ulong)c.Seed, 9)).Decode(dense);
                for (int i = 0; i < c.N; i++)
                {
                    float e = v[i] - dense[i];
                    Assert.Equal(BitConverter.SingleToUInt32Bits(v[i]), BitConverter.SingleToUInt32Bits(dense[i] + e));
                }
            }
        }).QuickCheckThrowOnFailure();
    }

    [Fact]
    public void CompressorsProduceTheWireTensorsWhoseSerializedBodiesAreTheCoding()
    {
        var v = Data(1000, 3);
        var top = new TopKCompressor(0.01).Compress("t", v, null);
        long gamma = 0;
        int previous = -1;
        foreach (int idx in top.Indices) { int g = idx - previous; gamma += 2 * (int)Math.Floor(Math.Log2(g)) + 1; previous = idx; }
        // Sparse bodies: k (4 bytes), k float32 values, then the indices in their coding.
        Assert.Equal(4 + 10 * 8L, WireFormat.BodyBytes(top));
        Assert.Equal(4 + 10 * 6L, WireFormat.BodyBytes(new TopKCompressor(0.01, IndexCoding.UInt16).Compress("t", v, null)));
        Assert.Equal(4 + 10 * 4L + 125, WireFormat.BodyBytes(new TopKCompressor(0.01, IndexCoding.Bitmap).Compress("t", v, null)));
        Assert.Equal(4 + 10 * 4L + (gamma + 7) / 8, WireFormat.BodyBytes(new TopKCompressor(0.01, IndexCoding.EliasGammaDelta).Compress("t", v, null)));
        Assert.Equal(3, SparseIndices.GammaBits([0, 1, 2]));
        Assert.Equal(1 + 3 + 5, SparseIndices.GammaBits([0, 2, 6]));
        // Quantized bodies: bits and axis (2 bytes), one float32 scale, ceil(b·n / 8) code bytes.
        Assert.Equal(2 + 4 + 500L, WireFormat.BodyBytes(new QuantizeCompressor(4).Compress("t", v, null)));
        Assert.Equal(2 + 4 + 125L, WireFormat.BodyBytes(SignCompressor.Instance.Compress("t", v, null)));
        Assert.Equal(4000L, WireFormat.BodyBytes(NoCompression.Instance.Compress("t", v, null)));
        // What arrives decodes to what was compressed, whatever the coding.
        foreach (var coding in Enum.GetValues<IndexCoding>())
        {
            var sent = new TopKCompressor(0.05, coding).Compress("t", v, null);
            var received = WireFormat.Deserialize(WireFormat.Serialize(new Message(0, 0, 1, MessageKind.Weights, [sent])))["t"];
            Assert.Equal(sent.Encoding, received.Encoding);
            Assert.Equal(sent.Indices, received.Indices);
            Assert.Equal(sent.Values, received.Values);
        }
    }

    [Fact]
    public void RandomKIsReproducibleFromItsStream()
    {
        var v = Data(500, 1);
        var c = new RandomKCompressor(0.05);
        var a = c.Compress("t", v, new RngStream(4, 2));
        var b = c.Compress("t", v, new RngStream(4, 2));
        var other = c.Compress("t", v, new RngStream(4, 3));
        Assert.Equal(25, a.Indices.Length);
        Assert.Equal(a.Indices, b.Indices);
        Assert.NotEqual(a.Indices, other.Indices);
    }

    [Fact]
    public void ScaledSignAndScaledWireTensors()
    {
        float[] v = [1, -3, 0, 2];
        var p = SignCompressor.Instance.Compress("t", v, null);
        var d = new float[4];
        p.Decode(d);
        Assert.Equal([1.5f, -1.5f, 1.5f, 1.5f], d);
        p.Scaled(0.5f).Decode(d);
        Assert.Equal([0.75f, -0.75f, 0.75f, 0.75f], d);
    }
}
