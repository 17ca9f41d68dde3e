using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Compression;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using NanoFed.Tests.Decentralized;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// <see cref="WireEncoding.SparsePacked"/>: sparse tensors under one header (<see cref="WireTensor.Pack"/>), and gossip
/// with <see cref="CompressedGossip.Pack"/>: the same values, indices and updates as one tensor per layer, fewer bytes.
/// </summary>
[Collection(nameof(WorkerCountCollection))]
public class PackedSparseTests
{
    private static Gen<(int[] Lengths, int KeepPercent, int Bits, IndexCoding Coding, int Seed)> Cases =>
        from count in Gen.Choose(1, 12)
        from lengths in Gen.ArrayOf(Gen.OneOf(Gen.Choose(1, 300), Gen.Choose(60_000, 70_000)), count)
        from keepPercent in Gen.Choose(0, 30)
        from bits in Gen.Elements(32, 2, 5, 8)
        from coding in Gen.Elements(IndexCoding.Int32, IndexCoding.UInt16, IndexCoding.Bitmap)
        from seed in Gen.Choose(0, 1_000_000)
        select (lengths, keepPercent, bits, coding, seed);

    private static WireTensor[] Parts((int[] Lengths, int KeepPercent, int Bits, IndexCoding Coding, int Seed) c)
    {
        var compressor = new TopKCompressor(c.KeepPercent / 100.0, c.Coding, c.Bits);
        return c.Lengths.Select((n, l) =>
        {
            var v = new float[n];
            new RngStream((ulong)c.Seed, (ulong)l).FillNormal(v);
            return compressor.Compress(GossipMessages.PartName(l), v, null);
        }).ToArray();
    }

    private static float[] Concatenated(IEnumerable<WireTensor> parts) => parts.SelectMany(p => p.ToArray()).ToArray();

    [Fact]
    public void RoundTripsToTheConcatenationOfItsPartsInFewerBytes()
    {
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var parts = Parts(c);
            var packed = WireTensor.Pack("0", parts);
            var message = new Message(5, 1, 2, MessageKind.Weights, [packed]);
            byte[] bytes = WireFormat.Serialize(message);
            Assert.Equal(WireFormat.Size(message), bytes.Length);
            var back = Assert.Single(WireFormat.Deserialize(bytes).Payload);
            Assert.Equal((WireEncoding.SparsePacked, packed.Shape, packed.Bits, packed.IndexEncoding), (back.Encoding, back.Shape, back.Bits, back.IndexEncoding));
            Assert.Equal(c.Lengths, back.SegmentLengths);
            Assert.Equal(parts.Select(p => p.Indices.Length), back.SegmentCounts);
            Assert.Equal(packed.Values, back.Values);
            Assert.Equal(packed.Indices, back.Indices);
            Assert.Equal(Concatenated(parts), back.ToArray());
            long separate = WireFormat.Size(new Message(5, 1, 2, MessageKind.Weights, parts));
            // Each part spends at least 12 header bytes, a name and a 4-byte count; a segment at most 3 + 3 varint bytes
            // (n ≤ 70,000), the packed tensor 16 bytes of its own: fewer bytes from two parts on.
            Assert.True(bytes.Length <= separate - 11L * parts.Length + 16, $"{bytes.Length} packed against {separate} separate");
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Fact]
    public void ScalingAPackedTensorScalesEachPartAsItsOwnScalingWould()
    {
        Prop.ForAll(Arb.From(Cases), c =>
        {
            var parts = Parts(c);
            var scaled = WireTensor.Pack("0", parts).Scaled(0.37f);
            Assert.Equal(Concatenated(parts.Select(p => p.Scaled(0.37f))), scaled.ToArray());
            Assert.Equal(WireFormat.Size(new Message(0, 0, 1, MessageKind.Weights, [WireTensor.Pack("0", parts)])),
                WireFormat.Size(new Message(0, 0, 1, MessageKind.Weights, [scaled])));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(30));
    }

    [Fact]
    public void MalformedBodiesAreRefusedWithOneLine()
    {
        var parts = Parts(([40, 300, 7], 20, 8, IndexCoding.UInt16, 3));
        byte[] valid = WireFormat.Serialize(new Message(1, 0, 1, MessageKind.Weights, [WireTensor.Pack("0", parts)]));
        for (int cut = 1; cut < valid.Length; cut++)
            Assert.Throws<FormatException>(() => WireFormat.Deserialize(valid.AsSpan(0, cut)));
        // The body starts after the 22-byte message header and the tensor's 2 + 1 + 1 + 1 + 4 + 4 header bytes.
        int body = WireFormat.MessageHeaderBytes + 13;
        Assert.Equal(3, valid[body]);
        foreach (var (offset, value, says) in new (int, byte[], string)[]
        {
            (0, [2], "segments hold"), (1, [(byte)WireEncoding.SparseGamma], "cannot be packed"), (2, [9], "bit width"),
            (3, [0x80, 0x00], "not minimal"), (4, [41], "keeps"),
        })
        {
            var bad = (byte[])valid.Clone();
            value.CopyTo(bad, body + offset);
            var e = Assert.Throws<FormatException>(() => WireFormat.Deserialize(bad));
            Assert.Contains(says, e.Message);
            Assert.DoesNotContain('\n', e.Message);
        }
    }

    [Fact]
    public void PartsOfMixedFormatsAreNotPacked()
    {
        var f32 = new TopKCompressor(0.2).Compress("0", [1, -2, 3, 0.5f, 4], null);
        var coded = new TopKCompressor(0.2, IndexCoding.Int32, 8).Compress("1", [1, -2, 3, 0.5f, 4], null);
        var gamma = new TopKCompressor(0.2, IndexCoding.EliasGammaDelta).Compress("1", [1, -2, 3, 0.5f, 4], null);
        Assert.Throws<ArgumentException>(() => WireTensor.Pack("0", [f32, coded]));
        Assert.Throws<ArgumentException>(() => WireTensor.Pack("0", [gamma]));
        Assert.Throws<ArgumentException>(() => WireTensor.Pack("0", [WireTensor.Dense("d", new Shape(2), [1, 2])]));
    }

    public static TheoryData<string> Forms => ["B", "A", "choco"];

    private static IGossip Protocol(string form, ITopology t, TensorLayout l, bool pack) => form switch
    {
        "B" => SparsePush.Create(t, l, keep: 0.1, gamma: 0.2f, valueBits: 8, pack: pack),
        "A" => SparsePush.Create(t, l, keep: 0.1, form: SparsePushForm.ErrorFeedback, gamma: 0.2f, pack: pack),
        _ => new Choco(t, new TopKCompressor(0.1, IndexCoding.UInt16), 0.2f, l) { Pack = pack },
    };

    [Theory]
    [MemberData(nameof(Forms))]
    public void PackedGossipTrainsBitForBitAsUnpackedInFewerBytes(string form)
    {
        ITopology Graph() => form == "choco" ? new UndirectedRing(4) : new DirectedRing(4);
        var plain = DecentralizedRunnerStateTests.Runner((t, l) => Protocol(form, t, l, pack: false), topology: Graph());
        var packed = DecentralizedRunnerStateTests.Runner((t, l) => Protocol(form, t, l, pack: true), topology: Graph());
        for (int e = 0; e < 2; e++)
        {
            plain.RunEpoch();
            packed.RunEpoch();
        }
        for (int i = 0; i < plain.Agents.Count; i++)
        {
            Assert.Equal(plain.Agents[i].Node.Z, packed.Agents[i].Node.Z);
            Assert.Equal(plain.Agents[i].Node.W, packed.Agents[i].Node.W);
        }
        Assert.Equal(plain.Ledger.Entries.Count, packed.Ledger.Entries.Count);
        Assert.True(packed.Ledger.Total() < plain.Ledger.Total(), $"{packed.Ledger.Total()} packed against {plain.Ledger.Total()}");
    }
}
