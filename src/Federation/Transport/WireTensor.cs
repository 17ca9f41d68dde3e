using NanoFed.Kernels;

namespace NanoFed.Federation.Transport;

/// <summary>How a tensor travels.</summary>
public enum WireEncoding : byte
{
    /// <summary>Every element as a little-endian IEEE float32.</summary>
    DenseF32 = 1,

    /// <summary>b-bit symmetric quantization (<see cref="Quantize"/>): one scale per tensor or per channel, bit-packed codes.</summary>
    Quantized = 2,

    /// <summary>k kept entries as float32 values plus int32 indices (Top-k, <see cref="TopK"/>); the rest are zero.</summary>
    Sparse = 3,

    /// <summary>Raw bytes, one per element (labels).</summary>
    Bytes = 4,
}

/// <summary>
/// A named tensor in one wire encoding. Build it with <see cref="Dense"/>, <see cref="Quantized"/>,
/// <see cref="Sparse"/>, <see cref="TopKOf"/> or <see cref="Raw"/>; read it back with <see cref="Decode"/>.
/// The arrays are owned by the instance and never change after construction.
/// </summary>
public sealed class WireTensor
{
    private WireTensor(string name, Shape shape, WireEncoding encoding)
    {
        ArgumentNullException.ThrowIfNull(name);
        Name = name;
        Shape = shape;
        Encoding = encoding;
    }

    /// <summary>The tensor's name (e.g. a state_dict name, "activations", "labels").</summary>
    public string Name { get; }

    /// <summary>The logical (dense) shape.</summary>
    public Shape Shape { get; }

    /// <summary>The encoding.</summary>
    public WireEncoding Encoding { get; }

    /// <summary>Dense: all values; Sparse: the kept values. Empty otherwise.</summary>
    public float[] Values { get; private init; } = [];

    /// <summary>Sparse: the kept indices (strictly increasing, in [0, Shape.Length)). Empty otherwise.</summary>
    public int[] Indices { get; private init; } = [];

    /// <summary>Quantized: the bit width b (1..8). 0 otherwise.</summary>
    public int Bits { get; private init; }

    /// <summary>Quantized: the channel axis of the per-channel scales, or −1 for one scale per tensor.</summary>
    public int Axis { get; private init; } = -1;

    /// <summary>Quantized: the scales (one, or one per channel).</summary>
    public float[] Scales { get; private init; } = [];

    /// <summary>Quantized: the packed codes (<see cref="Quantize.Pack"/>); Bytes: the raw bytes.</summary>
    public byte[] Data { get; private init; } = [];

    /// <summary>Dense float32 copy of <paramref name="values"/> (length = shape's).</summary>
    public static WireTensor Dense(string name, Shape shape, ReadOnlySpan<float> values)
    {
        CheckLength(shape, values.Length);
        return new WireTensor(name, shape, WireEncoding.DenseF32) { Values = values.ToArray() };
    }

    /// <summary>Dense float32 copies of named tensors (e.g. a module's <c>NamedParameters</c> data or <c>StateDict</c>), in order.</summary>
    public static WireTensor[] DenseAll(IEnumerable<(string Name, Tensor Value)> tensors)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return tensors.Select(t => Dense(t.Name, t.Value.Shape, t.Value.Span)).ToArray();
    }

    /// <summary>
    /// Quantizes <paramref name="values"/> to <paramref name="bits"/> bits, round to nearest, with one scale per
    /// tensor (<paramref name="axis"/> = −1) or one per channel of axis <paramref name="axis"/>.
    /// </summary>
    public static WireTensor Quantized(string name, Shape shape, ReadOnlySpan<float> values, int bits, int axis = -1)
    {
        CheckLength(shape, values.Length);
        var codes = new sbyte[values.Length];
        float[] scales;
        if (axis == -1)
        {
            scales = [Quantize.Scale(values, bits)];
            Quantize.Nearest(values, scales[0], bits, codes);
        }
        else
        {
            if ((uint)axis >= (uint)shape.Rank) throw new ArgumentOutOfRangeException(nameof(axis), axis, $"no axis {axis} in shape {shape}");
            var (outer, channels, inner) = Quantize.Layout(shape, axis);
            scales = new float[channels];
            Quantize.ChannelScales(values, outer, channels, inner, bits, scales);
            Quantize.NearestPerChannel(values, outer, channels, inner, scales, bits, codes);
        }
        var packed = new byte[Quantize.PackedLength(codes.Length, bits)];
        Quantize.Pack(codes, bits, packed);
        return new WireTensor(name, shape, WireEncoding.Quantized) { Bits = bits, Axis = axis, Scales = scales, Data = packed };
    }

    /// <summary>Already-quantized parts (used by the deserializer): packed codes and scales.</summary>
    internal static WireTensor FromQuantized(string name, Shape shape, int bits, int axis, float[] scales, byte[] packed) =>
        new(name, shape, WireEncoding.Quantized) { Bits = bits, Axis = axis, Scales = scales, Data = packed };

    /// <summary>Sparse entries: <paramref name="values"/>[j] at flat index <paramref name="indices"/>[j] (strictly increasing).</summary>
    public static WireTensor Sparse(string name, Shape shape, ReadOnlySpan<float> values, ReadOnlySpan<int> indices)
    {
        if (values.Length != indices.Length) throw new ArgumentException($"{values.Length} values but {indices.Length} indices");
        CheckIndices(indices, shape.Length);
        return new WireTensor(name, shape, WireEncoding.Sparse) { Values = values.ToArray(), Indices = indices.ToArray() };
    }

    /// <summary>The Top-k (by magnitude) of <paramref name="dense"/> with k = <see cref="TopK.Count"/>(n, <paramref name="keep"/>).</summary>
    public static WireTensor TopKOf(string name, Shape shape, ReadOnlySpan<float> dense, double keep)
    {
        CheckLength(shape, dense.Length);
        int k = TopK.Count(dense.Length, keep);
        var values = new float[k];
        var indices = new int[k];
        TopK.Select(dense, k, values, indices);
        return new WireTensor(name, shape, WireEncoding.Sparse) { Values = values, Indices = indices };
    }

    /// <summary>Raw bytes (e.g. labels), one per element, with shape [n].</summary>
    public static WireTensor Raw(string name, ReadOnlySpan<byte> bytes) =>
        new(name, new Shape(bytes.Length), WireEncoding.Bytes) { Data = bytes.ToArray() };

    /// <summary>Labels 0..255 as raw bytes; throws for a label outside that range.</summary>
    public static WireTensor Labels(string name, ReadOnlySpan<int> labels)
    {
        var bytes = new byte[labels.Length];
        for (int i = 0; i < labels.Length; i++)
            bytes[i] = labels[i] is >= 0 and <= 255 ? (byte)labels[i] : throw new ArgumentException($"label {labels[i]} does not fit a byte");
        return new WireTensor(name, new Shape(bytes.Length), WireEncoding.Bytes) { Data = bytes };
    }

    /// <summary>
    /// Writes the dense values into <paramref name="destination"/> (length = shape's): dense copies, quantized
    /// de-quantizes (q·scale), sparse writes zeros then scatters, bytes converts each byte to a float.
    /// </summary>
    public void Decode(Span<float> destination)
    {
        CheckLength(Shape, destination.Length);
        switch (Encoding)
        {
            case WireEncoding.DenseF32:
                Values.CopyTo(destination);
                break;
            case WireEncoding.Quantized:
                var codes = new sbyte[destination.Length];
                Quantize.Unpack(Data, Bits, codes);
                if (Axis == -1) Quantize.Dequantize(codes, Scales[0], destination);
                else
                {
                    var (outer, channels, inner) = Quantize.Layout(Shape, Axis);
                    Quantize.DequantizePerChannel(codes, outer, channels, inner, Scales, destination);
                }
                break;
            case WireEncoding.Sparse:
                destination.Clear();
                TopK.Scatter(Values, Indices, destination);
                break;
            default:
                for (int i = 0; i < Data.Length; i++) destination[i] = Data[i];
                break;
        }
    }

    /// <summary>The dense values as a new array (see <see cref="Decode"/>).</summary>
    public float[] ToArray()
    {
        var a = new float[Shape.Length];
        Decode(a);
        return a;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Encoding} {Shape}";

    private static void CheckLength(Shape shape, int length)
    {
        if (shape.Length != length) throw new ArgumentException($"shape {shape} holds {shape.Length} elements, got {length}");
    }

    internal static void CheckIndices(ReadOnlySpan<int> indices, int length)
    {
        for (int j = 0; j < indices.Length; j++)
        {
            if ((uint)indices[j] >= (uint)length) throw new ArgumentException($"sparse index {indices[j]} outside [0, {length})");
            if (j > 0 && indices[j] <= indices[j - 1]) throw new ArgumentException($"sparse indices must increase strictly ({indices[j - 1]} then {indices[j]})");
        }
    }
}
