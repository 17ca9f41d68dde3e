using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests;

public class MessageSchemaTests
{
    private static readonly MessageSchema Schema = new(
        [
            TensorSpec.Of("w", new Shape(2, 3), WireEncoding.DenseF32, WireEncoding.Quantized, WireEncoding.Sparse),
            new TensorSpec("activations", [TensorSpec.AnyDim, 4], [WireEncoding.DenseF32], maxElements: 40),
            new TensorSpec("labels", [TensorSpec.AnyDim], [WireEncoding.Bytes], maxElements: 10),
        ],
        maxMessageBytes: 1024, maxTensors: 3);

    private static Message With(params WireTensor[] payload) => new(1, 0, Message.Server, MessageKind.Weights, payload);

    private static float[] Floats(int n) => Enumerable.Range(0, n).Select(i => 0.25f * i - 1).ToArray();

    private static string Rejection(Message message)
    {
        Assert.False(Schema.Accepts(message, out var reason));
        Assert.DoesNotContain('\n', reason);
        return reason;
    }

    [Fact]
    public void AcceptsEveryDeclaredEncodingAndAnyBatchWithinTheBound()
    {
        var dense = WireTensor.Dense("w", new Shape(2, 3), Floats(6));
        var quantized = WireTensor.Quantized("w", new Shape(2, 3), Floats(6), 4, axis: 0);
        var sparse = WireTensor.TopKOf("w", new Shape(2, 3), Floats(6), 0.5);
        foreach (var w in new[] { dense, quantized, sparse })
            Assert.True(Schema.Accepts(With(w), out var reason), reason);
        Assert.True(Schema.Accepts(With(WireTensor.Dense("activations", new Shape(10, 4), Floats(40)), WireTensor.Labels("labels", [1, 2, 3])), out var r), r);
        Assert.True(Schema.Accepts(With(), out _));
    }

    [Fact]
    public void RejectsWrongShapeRankEncodingUnknownAndDuplicateTensors()
    {
        Assert.Equal("tensor 0 'w': shape [3, 2], expected [2, 3]", Rejection(With(WireTensor.Dense("w", new Shape(3, 2), Floats(6)))));
        Assert.Contains("shape [24], expected [*, 4]", Rejection(With(WireTensor.Dense("activations", new Shape(24), Floats(24)))));
        Assert.Contains("encoding Quantized", Rejection(With(WireTensor.Quantized("activations", new Shape(2, 4), Floats(8), 8))));
        Assert.Equal("tensor 0 'bias': unknown tensor", Rejection(With(WireTensor.Dense("bias", new Shape(1), [0f]))));
        var w = WireTensor.Dense("w", new Shape(2, 3), Floats(6));
        Assert.Equal("tensor 1 'w': appears twice", Rejection(With(w, w)));
    }

    [Fact]
    public void BoundsTheFreeDimensionsTheTensorCountAndTheBytes()
    {
        Assert.Contains("44 elements, at most 40", Rejection(With(WireTensor.Dense("activations", new Shape(11, 4), Floats(44)))));
        var four = new MessageSchema([TensorSpec.Of("w", new Shape(2, 3), WireEncoding.DenseF32)], 1024, maxTensors: 0);
        Assert.False(four.Accepts(With(WireTensor.Dense("w", new Shape(2, 3), Floats(6))), out var reason));
        Assert.Equal("1 tensors, at most 0 accepted", reason);
        var small = new MessageSchema([TensorSpec.Of("w", new Shape(2, 3), WireEncoding.DenseF32)], maxMessageBytes: 60, maxTensors: 1);
        var message = With(WireTensor.Dense("w", new Shape(2, 3), Floats(6)));
        Assert.Equal(22 + 2 + 1 + 2 + 8 + 4 + 24, WireFormat.Size(message));
        Assert.False(small.Accepts(message, out reason));
        Assert.Equal("message of 63+ bytes exceeds the limit of 60", reason);
    }

    [Fact]
    public void RejectsNonFiniteValuesUnlessAllowed()
    {
        float[] poisoned = [0, 1, float.NaN, 3, 4, 5];
        var message = With(WireTensor.Dense("w", new Shape(2, 3), poisoned));
        Assert.Equal("tensor 0 'w': value NaN at entry 2 is not finite", Rejection(message));
        var lenient = new MessageSchema(Schema.Tensors.Values, 1024, 3, requireFinite: false);
        Assert.True(lenient.Accepts(message, out _));
        Assert.Contains("value Infinity at entry 0", Rejection(With(WireTensor.Sparse("w", new Shape(2, 3), [float.PositiveInfinity], [4]))));
    }

    [Fact]
    public void BytesAreCheckedForSizeAndFormatBeforeTheSchema()
    {
        var good = With(WireTensor.Dense("w", new Shape(2, 3), Floats(6)));
        var bytes = WireFormat.Serialize(good);
        Assert.True(Schema.Accepts(bytes, out var parsed, out var reason), reason);
        Assert.Equal(good["w"].Values, parsed!["w"].Values);

        Assert.False(Schema.Accepts(bytes.AsSpan(0, bytes.Length - 5), out parsed, out reason));
        Assert.Null(parsed);
        Assert.StartsWith("malformed: ", reason);

        var tooMany = new byte[Schema.MaxMessageBytes + 1];
        Assert.False(Schema.Accepts(tooMany, out _, out reason));
        Assert.Equal("message of 1025+ bytes exceeds the limit of 1024", reason);

        var wrongShape = WireFormat.Serialize(With(WireTensor.Dense("w", new Shape(6), Floats(6))));
        Assert.False(Schema.Accepts(wrongShape, out parsed, out reason));
        Assert.Null(parsed);
        Assert.Equal("tensor 0 'w': shape [6], expected [2, 3]", reason);
    }

    [Fact]
    public void ForBuildsExactSpecsFromNamedTensorsAndRejectsBadDeclarations()
    {
        var specs = MessageSchema.For([("a", Tensor.Zeros(new Shape(3, 2))), ("b", Tensor.Zeros(new Shape(5)))], WireEncoding.DenseF32).ToList();
        Assert.Equal(["a [3, 2] DenseF32", "b [5] DenseF32"], specs.Select(s => s.ToString()));
        Assert.Throws<ArgumentException>(() => new MessageSchema([specs[0], specs[0]], 1024, 2));
        Assert.Throws<ArgumentException>(() => new TensorSpec("x", [-2], [WireEncoding.DenseF32]));
        Assert.Throws<ArgumentException>(() => new TensorSpec("x", [1], []));
    }
}
