using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Compression;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests.Federation;

/// <summary>Top-k with b-bit values and one scale per tensor (<see cref="TopKCompressor.ValueBits"/>, gossip --value-bits).</summary>
public class QuantizedTopKTests
{
    private static float[] Data(int n, int seed)
    {
        var v = new float[n];
        new RngStream((ulong)seed, 9).FillNormal(v);
        return v;
    }

    private static Gen<(int N, double Keep, int Bits, IndexCoding Coding, int Seed)> Cases =>
        from n in Gen.Choose(1, 3000)
        from keepPercent in Gen.Choose(0, 100)
        from bits in Gen.Choose(2, 8)
        from coding in Gen.Elements(IndexCoding.Int32, IndexCoding.UInt16, IndexCoding.Bitmap, IndexCoding.EliasGammaDelta)
        from seed in Gen.Choose(0, 1_000_000)
        select (n, keepPercent / 100.0, bits, coding, seed);

    private static WireTensor RoundTrip(WireTensor t) =>
        Assert.Single(WireFormat.Deserialize(WireFormat.Serialize(new Message(3, 1, 2, MessageKind.Weights, [t]))).Payload);

    [Fact]
    public void BodyIsKCodingBitsScaleCodesAndIndicesAndTheReceiverReadsTheSenderValues() =>
        Prop.ForAll(Arb.From(Cases), CheckBodyAndValues).QuickCheckThrowOnFailure();

    /// <summary>A case FsCheck found: the sent value off by half a step plus its float rounding.</summary>
    [Fact]
    public void HalfAStepIsBoundUpToTheValuesFloatRounding() => CheckBodyAndValues((2514, 0.81, 8, IndexCoding.EliasGammaDelta, 753359));

    private static void CheckBodyAndValues((int N, double Keep, int Bits, IndexCoding Coding, int Seed) c)
    {
        var v = Data(c.N, c.Seed);
        var full = new TopKCompressor(c.Keep, c.Coding).Compress("7", v, null);
        var q = new TopKCompressor(c.Keep, c.Coding, c.Bits).Compress("7", v, null);
        int k = full.Indices.Length;
        Assert.Equal(WireEncoding.SparseQuantized, q.Encoding);
        Assert.Equal(full.Indices, q.Indices);
        // Body: k (4) + index encoding and bits (2) + scale (4) + ⌈k·b/8⌉ codes + the indices exactly as float32 top-k writes them.
        long codes = (k * (long)c.Bits + 7) / 8;
        Assert.Equal(4 + 2 + 4 + codes + (WireFormat.BodyBytes(full) - 4 - 4L * k), WireFormat.BodyBytes(q));
        var back = RoundTrip(q);
        Assert.Equal(WireFormat.Size(new Message(3, 1, 2, MessageKind.Weights, [q])), WireFormat.Serialize(new Message(3, 1, 2, MessageKind.Weights, [q])).Length);
        Assert.Equal(q.Indices, back.Indices);
        Assert.Equal(q.Values, back.Values); // bit for bit: both ends add the same numbers
        // Nearest rounding: every sent value is within half a step of the kept one, plus the float rounding of
        // code · step (an ulp or two of the value: FsCheck found a value half a step and 0.4 ulp away).
        float step = full.Values.Max(MathF.Abs) / ((1 << (c.Bits - 1)) - 1);
        for (int j = 0; j < k; j++)
            Assert.True(Math.Abs(q.Values[j] - full.Values[j]) <= step / 2 * (1 + 1e-6) + 4e-7 * Math.Abs(full.Values[j]),
                $"entry {j}: {q.Values[j]} vs {full.Values[j]}, step {step}");
    }

    [Fact]
    public void ResNetSizedTensorAtFourBitsHasTheFormulaSize()
    {
        // ResNet-20's 64-to-64 3x3 filter, n = 36,864, at keep 0.1%: k = 36, 4-bit codes (18 bytes), uint16 indices.
        var q = new TopKCompressor(0.001, IndexCoding.UInt16, 4).Compress("12", Data(36_864, 1), null);
        Assert.Equal(36, q.Indices.Length);
        Assert.Equal(4 + 2 + 4 + 18 + 2 * 36, WireFormat.BodyBytes(q));
    }

    [Fact]
    public void DefaultIsFloat32ValuesAsBefore()
    {
        var v = Data(500, 2);
        var t = new TopKCompressor(0.1).Compress("0", v, null);
        Assert.Equal(WireEncoding.Sparse, t.Encoding);
        Assert.Equal(32, new TopKCompressor(0.1).ValueBits);
        Assert.Equal(4 + 8 * 50, WireFormat.BodyBytes(t));
    }

    [Fact]
    public void ScaledMultipliesTheScaleAndKeepsTheCodes()
    {
        var q = new TopKCompressor(0.2, IndexCoding.Bitmap, 3).Compress("0", Data(100, 3), null);
        var s = q.Scaled(0.25f);
        Assert.Equal(q.Data, s.Data);
        Assert.Equal(q.Scales[0] * 0.25f, s.Scales[0]);
        Assert.Equal(WireFormat.BodyBytes(q), WireFormat.BodyBytes(s));
        Assert.Equal(s.Values, RoundTrip(s).Values);
        for (int j = 0; j < q.Values.Length; j++) Assert.Equal(q.Values[j] * 0.25, s.Values[j], 1e-6);
    }

    [Theory]
    [InlineData(4, 1, "index encoding 1")] // byte after k: the index encoding must be a sparse one
    [InlineData(5, 9, "bit width 9")]
    public void ReaderRejectsABadIndexEncodingOrBitWidth(int offsetInBody, byte value, string message)
    {
        var q = new TopKCompressor(0.1, IndexCoding.Int32, 4).Compress("0", Data(100, 4), null);
        var bytes = WireFormat.Serialize(new Message(0, 0, 1, MessageKind.Weights, [q]));
        int body = WireFormat.MessageHeaderBytes + WireFormat.TensorHeaderBytes(q);
        bytes[body + offsetInBody] = value;
        var e = Assert.Throws<FormatException>(() => WireFormat.Deserialize(bytes));
        Assert.Contains(message, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(9)]
    [InlineData(16)]
    public void OtherBitWidthsAreRejected(int bits) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new TopKCompressor(0.1, IndexCoding.Int32, bits));

    [Fact]
    public void FormBWithFourBitValuesReachesConsensus()
    {
        // The quantization error is part of q, so the public copies still track x and the differences still shrink.
        var layout = new TensorLayout(150, 50);
        var protocol = new DifferenceGossip(new ExponentialGraph(8), new TopKCompressor(0.1, IndexCoding.Int32, 4), 0.1f, layout);
        var nodes = PushSumTests.Nodes(protocol, layout.Total, 6, out var average);
        for (long t = 0; t < 1500; t++) GossipLoop.Step(protocol, nodes, t);
        Assert.True(GossipLoop.MaxError(nodes, average) < 1e-3, $"max error {GossipLoop.MaxError(nodes, average)}");
    }
}
