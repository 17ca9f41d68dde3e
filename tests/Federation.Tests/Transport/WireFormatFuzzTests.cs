using System.Buffers.Binary;
using NanoFed.Federation.Transport;
using NanoFed.Tests.Fuzzing;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// Mutation fuzzing of <see cref="WireFormat.Deserialize"/> (<see cref="Fuzz"/>): a message with a tensor of every
/// encoding (dense, quantized per tensor and per channel, sparse, bytes, a scalar, packed sparse, entropy-coded); every header field, name length,
/// encoding, rank, dimension, body length, bit width, axis and sparse count is a length field. Only
/// <see cref="FormatException"/> may come out, and a parse may allocate 8 bytes per input byte plus 32 KiB (the
/// error and the message objects).
/// </summary>
public class WireFormatFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void RefusesOnlyWithFormatException()
    {
        var x = Enumerable.Range(0, 24).Select(i => MathF.Sin(i) * 3).ToArray();
        var shape = new Shape(2, 3, 4);
        var message = new Message(7, 2, 0, MessageKind.Activations,
        [
            WireTensor.Dense("dense.weight", shape, x),
            WireTensor.Quantized("activations", shape, x, 3),
            WireTensor.Quantized("per-channel", shape, x, 8, axis: 1),
            WireTensor.TopKOf("sparse", shape, x, 0.3),
            WireTensor.Raw("labels", [1, 2, 250]),
            WireTensor.Dense("scalar ü", new Shape(), [3.5f]),
            WireTensor.Pack("packed", [WireTensor.TopKOf("a", new Shape(24), x, 0.2), WireTensor.TopKOf("b", new Shape(24), x, 0.1)]),
            WireTensor.FromCodesCoded("coded", new Shape(600), RansCodingTests.Codes(600, 4, 2, spread: 1.5f), 4, 0.5f),
        ]);
        Assert.Equal(WireEncoding.QuantizedRans, message.Payload[^1].Encoding);
        byte[] valid = WireFormat.Serialize(message);
        Fuzz.Run<FormatException>(output, "wire format", valid, Fields(valid), bytes => () => WireFormat.Deserialize(bytes), n => 8L * n + 32 * 1024);
    }

    /// <summary>The integer fields of a serialized message, found by walking its layout (see <see cref="WireFormat"/>).</summary>
    private static FuzzField[] Fields(byte[] b)
    {
        var fields = new List<FuzzField> { new(4, 1), new(5, 1), new(6, 4), new(10, 4), new(14, 4), new(18, 4) };
        int count = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(18)), pos = WireFormat.MessageHeaderBytes;
        for (int t = 0; t < count; t++)
        {
            fields.Add(new(pos, 2));
            pos += 2 + BinaryPrimitives.ReadUInt16LittleEndian(b.AsSpan(pos));
            var encoding = (WireEncoding)b[pos];
            int rank = b[pos + 1];
            fields.Add(new(pos, 1));
            fields.Add(new(pos + 1, 1));
            pos += 2;
            for (int d = 0; d < rank; d++, pos += 4) fields.Add(new(pos, 4));
            int body = BinaryPrimitives.ReadInt32LittleEndian(b.AsSpan(pos));
            fields.Add(new(pos, 4));
            pos += 4;
            if (encoding == WireEncoding.Quantized) fields.AddRange([new(pos, 1), new(pos + 1, 1)]);
            if (encoding == WireEncoding.QuantizedRans) fields.Add(new(pos, 1));
            if (encoding == WireEncoding.Sparse) fields.Add(new(pos, 4));
            pos += body;
        }
        Assert.Equal(b.Length, pos);
        return [.. fields];
    }
}
