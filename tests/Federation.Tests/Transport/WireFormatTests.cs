using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Transport;
using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

public class WireFormatTests
{
    private static float[] Values(int n, int seed)
    {
        var a = new float[n];
        new RngStream((ulong)seed, 5).FillNormal(a, 0, 2);
        return a;
    }

    /// <summary>A message with one tensor of every encoding (shapes from the seed).</summary>
    private static Message Sample(int seed)
    {
        var rng = new RngStream((ulong)seed, 6);
        var shape = new Shape(1 + rng.NextInt(4), 1 + rng.NextInt(5), 1 + rng.NextInt(7));
        int n = shape.Length;
        var x = Values(n, seed);
        int bits = 1 + rng.NextInt(8);
        var labels = Enumerable.Range(0, rng.NextInt(20)).Select(i => (byte)rng.NextInt(256)).ToArray();
        var kind = (MessageKind)(1 + rng.NextInt(6));
        return new Message(rng.NextInt(1000), rng.NextInt(100) - 1, rng.NextInt(100) - 1, kind,
        [
            WireTensor.Dense("dense.weight", shape, x),
            WireTensor.Quantized("activations", shape, x, bits),
            WireTensor.Quantized("per-channel", shape, x, bits, axis: 1),
            WireTensor.TopKOf("sparse", shape, x, 0.3),
            WireTensor.Raw("labels", labels),
            WireTensor.Dense("scalar ü", new Shape(), [3.5f]),
            WireTensor.FromCodesCoded("coded", new Shape(n * 40), RansCodingTests.Codes(n * 40, 2 + bits % 7, seed), 2 + bits % 7, 0.25f),
        ]);
    }

    private static void AssertSame(Message a, Message b)
    {
        Assert.Equal((a.Round, a.Sender, a.Receiver, a.Kind), (b.Round, b.Sender, b.Receiver, b.Kind));
        Assert.Equal(a.Payload.Count, b.Payload.Count);
        for (int i = 0; i < a.Payload.Count; i++)
        {
            WireTensor x = a.Payload[i], y = b.Payload[i];
            Assert.Equal((x.Name, x.Shape, x.Encoding, x.Bits, x.Axis), (y.Name, y.Shape, y.Encoding, y.Bits, y.Axis));
            Assert.Equal(x.Values, y.Values);
            Assert.Equal(x.Indices, y.Indices);
            Assert.Equal(x.Scales, y.Scales);
            Assert.Equal(x.Data, y.Data);
            Assert.Equal(x.Coded, y.Coded);
            Assert.Equal(x.ToArray(), y.ToArray());
        }
    }

    [Fact]
    public void RoundTripsExactlyAndSizeIsTheByteCount() =>
        Prop.ForAll(Arb.From(Gen.Choose(0, 1_000_000)), seed =>
        {
            var m = Sample(seed);
            var bytes = WireFormat.Serialize(m);
            Assert.Equal(WireFormat.Size(m), bytes.Length);
            var back = WireFormat.Deserialize(bytes);
            AssertSame(m, back);
            Assert.Equal(bytes, WireFormat.Serialize(back));
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void DecodedValuesAreWhatTheEncodingPromises()
    {
        var shape = new Shape(2, 3, 4);
        var x = Values(shape.Length, 1);
        Assert.Equal(x, WireTensor.Dense("d", shape, x).ToArray());
        var q = WireTensor.Quantized("q", shape, x, 8).ToArray();
        float s = Quantize.Scale(x, 8);
        for (int i = 0; i < x.Length; i++) Assert.True(Math.Abs(q[i] - x[i]) <= s / 2 * 1.0001f);
        var sparse = WireTensor.TopKOf("s", shape, x, 0.25).ToArray();
        Assert.Equal(6, sparse.Count(v => v != 0));
        float smallestKept = sparse.Where(v => v != 0).Min(MathF.Abs);
        for (int i = 0; i < x.Length; i++) Assert.True(sparse[i] == x[i] || (sparse[i] == 0 && MathF.Abs(x[i]) <= smallestKept));
        Assert.Equal([0f, 7f, 255f], WireTensor.Labels("l", [0, 7, 255]).ToArray());
    }

    [Fact]
    public void SizesAreHeaderPlusBody()
    {
        var x = Values(10 * 128 * 8 * 8, 2);
        var shape = new Shape(10, 128, 8, 8);
        var dense = new Message(0, 3, Message.Server, MessageKind.Activations, [WireTensor.Dense("a", shape, x)]);
        // 22 message header + (2 + 1 + 1 + 1 + 16 + 4) tensor header + 4 bytes per value.
        Assert.Equal(22 + 25 + 4L * x.Length, WireFormat.Serialize(dense).Length);
        var q8 = new Message(0, 3, Message.Server, MessageKind.Activations, [WireTensor.Quantized("a", shape, x, 8)]);
        Assert.Equal(22 + 25 + 2 + 4 + x.Length, WireFormat.Serialize(q8).Length);
        var q3 = new Message(0, 3, Message.Server, MessageKind.Activations, [WireTensor.Quantized("a", new Shape(5), x.AsSpan(0, 5), 3)]);
        Assert.Equal(22 + 13 + 2 + 4 + 2, WireFormat.Serialize(q3).Length);
        var sparse = new Message(0, 3, 4, MessageKind.Weights, [WireTensor.TopKOf("a", shape, x, 0.01)]);
        Assert.Equal(22 + 25 + 4 + 8L * 819, WireFormat.Serialize(sparse).Length);
    }

    [Fact]
    public void EveryTruncationIsRejectedWithOneLine()
    {
        var bytes = WireFormat.Serialize(Sample(17));
        for (int n = 0; n < bytes.Length; n++)
        {
            var e = Assert.Throws<FormatException>(() => WireFormat.Deserialize(bytes.AsSpan(0, n)));
            Assert.DoesNotContain('\n', e.Message);
        }
        var longer = new byte[bytes.Length + 1];
        bytes.CopyTo(longer, 0);
        Assert.Contains("trailing", Assert.Throws<FormatException>(() => WireFormat.Deserialize(longer)).Message);
    }

    [Fact]
    public void ANameWithALineBreakStaysOnTheErrorsOneLine()
    {
        byte[] bytes = WireFormat.Serialize(new Message(0, 0, 1, MessageKind.Weights, [WireTensor.Dense("a\nb", new Shape(2), [1, 2])]));
        var e = Assert.Throws<FormatException>(() => WireFormat.Deserialize(bytes.AsSpan(0, bytes.Length - 1)));
        Assert.Contains("'a\\u000ab'", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void CorruptFieldsAreRejected()
    {
        var shape = new Shape(4);
        float[] x = [1, -2, 3, 0.5f];
        byte[] Of(WireTensor t) => WireFormat.Serialize(new Message(1, 0, Message.Server, MessageKind.Control, [t]));
        void Rejects(byte[] b, string what) =>
            Assert.Contains(what, Assert.Throws<FormatException>(() => WireFormat.Deserialize(b)).Message);

        var b = Of(WireTensor.Dense("w", shape, x));
        const int Tensor = WireFormat.MessageHeaderBytes; // the first tensor's header starts here
        var bad = (byte[])b.Clone(); bad[0] = (byte)'X'; Rejects(bad, "magic");
        bad = (byte[])b.Clone(); bad[4] = 99; Rejects(bad, "kind");
        bad = (byte[])b.Clone(); bad[Tensor + 3] = 9; Rejects(bad, "encoding");
        bad = (byte[])b.Clone(); bad[Tensor + 4] = 7; Rejects(bad, "rank");
        bad = (byte[])b.Clone(); bad[Tensor + 5] = 5; Rejects(bad, "body");
        bad = (byte[])b.Clone(); bad[Tensor + 8] = 0x80; Rejects(bad, "negative");
        bad = (byte[])b.Clone(); bad[Tensor + 2] = 0xFF; Rejects(bad, "UTF-8");

        var s = Of(WireTensor.Sparse("s", shape, [1f, 2f], [1, 3]));
        int indices = s.Length - 8;
        bad = (byte[])s.Clone(); bad[indices] = 3; Rejects(bad, "increase");
        bad = (byte[])s.Clone(); bad[indices + 4] = 4; Rejects(bad, "outside");

        var q = Of(WireTensor.Quantized("q", shape, x, 3));
        int body = q.Length - (2 + 4 + 2);
        bad = (byte[])q.Clone(); bad[body] = 9; Rejects(bad, "bit width");
        bad = (byte[])q.Clone(); bad[body + 1] = 1; Rejects(bad, "axis");
        bad = (byte[])q.Clone(); bad[^1] |= 0x80; Rejects(bad, "padding");
        bad = (byte[])q.Clone(); bad[body + 5] = 0xFF; bad[body + 4] = 0xFF; Rejects(bad, "scale");

        var coded = WireTensor.FromCodesCoded("c", new Shape(400), RansCodingTests.Codes(400, 4, 5, spread: 1.5f), 4, 0.5f);
        Assert.Equal(WireEncoding.QuantizedRans, coded.Encoding);
        var c = Of(coded);
        int codedBody = Tensor + 2 + 1 + 2 + 4 + 4;
        bad = (byte[])c.Clone(); bad[codedBody] = 9; Rejects(bad, "bit width");
        bad = (byte[])c.Clone(); bad[codedBody + 4] = 0xFF; bad[codedBody + 3] = 0xFF; Rejects(bad, "scale");
        bad = (byte[])c.Clone(); bad[Tensor + 7] = 1; Rejects(bad, "times fewer than packed");
        bad = (byte[])c.Clone(); bad[Tensor + 5] = 0; bad[Tensor + 6] = 0; Rejects(bad, "at least one code");
        bad = (byte[])c.Clone(); bad[Tensor + 5] ^= 1; Rejects(bad, "rANS");
    }

    [Fact]
    public void CodedQuantizedTensorsDecodeToThePlainOnesInFewerBytesOrArePlain() =>
        Prop.ForAll(Arb.From(RansCodingTests.Cases(5000)), g =>
        {
            var codes = RansCodingTests.Codes(g.N, g.Bits, g.Seed, g.Uniform);
            var plain = WireTensor.FromCodes("t", new Shape(g.N), codes, g.Bits, 0.125f);
            var coded = WireTensor.FromCodesCoded("t", new Shape(g.N), codes, g.Bits, 0.125f);
            Assert.Equal(plain.ToArray(), coded.ToArray());
            Assert.Equal(plain.Scaled(3).ToArray(), coded.Scaled(3).ToArray());
            if (coded.Encoding == WireEncoding.QuantizedRans) Assert.True(WireFormat.BodyBytes(coded) < WireFormat.BodyBytes(plain));
            else Assert.Equal(WireEncoding.Quantized, coded.Encoding);
        }).QuickCheckThrowOnFailure();
}
