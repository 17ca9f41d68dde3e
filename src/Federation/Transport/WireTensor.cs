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

    /// <summary>As <see cref="Sparse"/> with uint16 indices (a tensor of at most 65,536 entries).</summary>
    SparseUInt16 = 5,

    /// <summary>As <see cref="Sparse"/> with the indices as a bitmap of one bit per entry.</summary>
    SparseBitmap = 6,

    /// <summary>As <see cref="Sparse"/> with the index gaps in Elias-gamma code (<see cref="SparseIndices"/>).</summary>
    SparseGamma = 7,

    /// <summary>
    /// Sparse entries whose values are b-bit codes with one float32 scale per tensor (<see cref="Quantize"/>), the
    /// indices in one of the sparse encodings' codings (<see cref="WireTensor.IndexEncoding"/>).
    /// </summary>
    SparseQuantized = 8,

    /// <summary>
    /// Several sparse tensors (segments) in one, with one header for all: a rank-1 tensor over their concatenation whose
    /// indices are global; per segment only its length, its kept count and, for b-bit values, its scale travel
    /// (<see cref="WireTensor.Pack"/>). The values and indices are those of the segments, unchanged.
    /// </summary>
    SparsePacked = 9,

    /// <summary>
    /// As <see cref="Quantized"/> with one scale per tensor, the codes entropy-coded by rANS over their own frequencies
    /// (<see cref="RansCoding"/>): lossless, so the decoded values are the quantized ones bit for bit.
    /// </summary>
    QuantizedRans = 10,
}

/// <summary>
/// A named tensor in one wire encoding. Build it with <see cref="Dense"/>, <see cref="Quantized"/>,
/// <see cref="FromCodes"/>, <see cref="Sparse"/>, <see cref="TopKOf"/> or <see cref="Raw"/>; read it back with
/// <see cref="Decode"/> or <see cref="AddTo"/>.
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

    /// <summary>Whether the encoding is one of the sparse ones (values plus indices in some <see cref="IndexCoding"/>).</summary>
    public bool IsSparse => Encoding is WireEncoding.Sparse or WireEncoding.SparseUInt16 or WireEncoding.SparseBitmap or WireEncoding.SparseGamma or WireEncoding.SparseQuantized or WireEncoding.SparsePacked;

    /// <summary>
    /// Sparse encodings: how the indices are written, as the sparse encoding with float32 values that writes them
    /// the same way (<see cref="WireEncoding.Sparse"/>, <see cref="WireEncoding.SparseUInt16"/>, …); the encoding
    /// itself except for <see cref="WireEncoding.SparseQuantized"/>. 0 otherwise.
    /// </summary>
    public WireEncoding IndexEncoding { get; private init; }

    /// <summary>Dense: all values; sparse encodings: the kept values (<see cref="WireEncoding.SparseQuantized"/>: decoded, code · scale). Empty otherwise.</summary>
    public float[] Values { get; private init; } = [];

    /// <summary>Sparse encodings: the kept indices (strictly increasing, in [0, Shape.Length)), whatever their coding on the wire. Empty otherwise.</summary>
    public int[] Indices { get; private init; } = [];

    /// <summary>SparsePacked: the lengths n_l of the segments, in order (they sum to the shape's length). Empty otherwise.</summary>
    public int[] SegmentLengths { get; private init; } = [];

    /// <summary>SparsePacked: how many entries each segment keeps (its values and indices come in segment order). Empty otherwise.</summary>
    public int[] SegmentCounts { get; private init; } = [];

    /// <summary>Quantized, SparseQuantized and SparsePacked with b-bit values: the bit width b (1..8). 0 otherwise.</summary>
    public int Bits { get; private init; }

    /// <summary>Quantized: the channel axis of the per-channel scales, or −1 for one scale per tensor.</summary>
    public int Axis { get; private init; } = -1;

    /// <summary>Quantized: the scales (one, or one per channel); SparseQuantized: the one scale; SparsePacked with b-bit values: one per segment.</summary>
    public float[] Scales { get; private init; } = [];

    /// <summary>Quantized, QuantizedRans and SparseQuantized: the packed codes (<see cref="Quantize.Pack"/>; SparsePacked: each segment's, one after the other); Bytes: the raw bytes.</summary>
    public byte[] Data { get; private init; } = [];

    /// <summary>QuantizedRans: the codes as <see cref="RansCoding.Encode"/> writes them, what travels instead of <see cref="Data"/>. Empty otherwise.</summary>
    public byte[] Coded { get; private init; } = [];

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

    /// <summary>
    /// Sparse entries: <paramref name="values"/>[j] at flat index <paramref name="indices"/>[j] (strictly increasing),
    /// the indices to be written in <paramref name="coding"/> (<see cref="IndexCoding.UInt16"/> falls back to int32
    /// for a tensor of more than 65,536 entries).
    /// </summary>
    public static WireTensor Sparse(string name, Shape shape, ReadOnlySpan<float> values, ReadOnlySpan<int> indices, IndexCoding coding = IndexCoding.Int32)
    {
        if (values.Length != indices.Length) throw new ArgumentException($"{values.Length} values but {indices.Length} indices");
        CheckIndices(indices, shape.Length);
        return Owned(name, shape, values.ToArray(), indices.ToArray(), coding);
    }

    /// <summary>A sparse tensor that takes ownership of <paramref name="values"/> and <paramref name="indices"/> (already checked).</summary>
    internal static WireTensor Owned(string name, Shape shape, float[] values, int[] indices, IndexCoding coding)
    {
        var encoding = SparseEncoding(coding, shape.Length);
        return new(name, shape, encoding) { Values = values, Indices = indices, IndexEncoding = encoding };
    }

    /// <summary>
    /// Sparse entries (indices already checked, owned) whose <paramref name="values"/> travel as <paramref name="bits"/>-bit
    /// codes, 2 ≤ b ≤ 8, with one scale s = max|values| / (2^(b−1) − 1), rounded to nearest (ties to even), so each
    /// decoded value is within s/2 of its input. <see cref="Values"/> holds the decoded code · s, the numbers a receiver reads.
    /// </summary>
    internal static WireTensor QuantizedOwned(string name, Shape shape, ReadOnlySpan<float> values, int[] indices, IndexCoding coding, int bits)
    {
        if (bits is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "quantized sparse values need 2..8 bits");
        float scale = Quantize.Scale(values, bits);
        var codes = new sbyte[values.Length];
        Quantize.Nearest(values, scale, bits, codes);
        var packed = new byte[Quantize.PackedLength(codes.Length, bits)];
        Quantize.Pack(codes, bits, packed);
        return FromSparseQuantized(name, shape, bits, scale, packed, indices, SparseEncoding(coding, shape.Length));
    }

    /// <summary>Already-quantized sparse parts (used by the deserializer and <see cref="Scaled"/>): packed codes, scale, indices.</summary>
    internal static WireTensor FromSparseQuantized(string name, Shape shape, int bits, float scale, byte[] packed, int[] indices, WireEncoding indexEncoding)
    {
        var codes = new sbyte[indices.Length];
        Quantize.Unpack(packed, bits, codes);
        var values = new float[indices.Length];
        Quantize.Dequantize(codes, scale, values);
        return new(name, shape, WireEncoding.SparseQuantized)
        {
            Values = values, Indices = indices, Bits = bits, Scales = [scale], Data = packed, IndexEncoding = indexEncoding,
        };
    }

    /// <summary>
    /// One <see cref="WireEncoding.SparsePacked"/> tensor named <paramref name="name"/> holding <paramref name="parts"/>
    /// as its segments, in order: rank-1 sparse tensors whose values are all float32 or all b-bit codes of one width,
    /// with int32, uint16 (int32 for a part over 65,536 entries, as <see cref="IndexCoding.UInt16"/> does) or bitmap
    /// indices. Its values are theirs, its indices theirs offset by the segment's start, so decoding it gives their
    /// concatenation bit for bit; only the headers shrink.
    /// </summary>
    public static WireTensor Pack(string name, IReadOnlyList<WireTensor> parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        if (parts.Count == 0) throw new ArgumentException("nothing to pack", nameof(parts));
        var first = parts[0];
        int bits = first.Encoding == WireEncoding.SparseQuantized ? first.Bits : 0;
        var nominal = parts.Any(p => p.IndexEncoding == WireEncoding.SparseUInt16) ? WireEncoding.SparseUInt16 : first.IndexEncoding;
        if (nominal is not (WireEncoding.Sparse or WireEncoding.SparseUInt16 or WireEncoding.SparseBitmap))
            throw new ArgumentException($"'{first.Name}': {first.IndexEncoding} indices cannot be packed (int32, uint16 or bitmap only)");
        int count = parts.Count, total = 0, kept = 0;
        var lengths = new int[count];
        var counts = new int[count];
        foreach (var (p, l) in parts.Select((p, l) => (p, l)))
        {
            if (!p.IsSparse || p.Encoding == WireEncoding.SparsePacked || p.Shape.Rank != 1)
                throw new ArgumentException($"'{p.Name}': only rank-1 sparse tensors can be packed, got {p.Encoding} {p.Shape}");
            if ((p.Encoding == WireEncoding.SparseQuantized ? p.Bits : 0) != bits)
                throw new ArgumentException($"'{p.Name}': packed segments need one value format ({bits} bits), got {p.Encoding} of {p.Bits} bits");
            if (p.IndexEncoding != PackedSparse.SegmentEncoding(nominal, p.Shape.Length))
                throw new ArgumentException($"'{p.Name}': packed segments need one index coding, got {p.IndexEncoding} beside {nominal}");
            lengths[l] = p.Shape.Length;
            counts[l] = p.Indices.Length;
            total = checked(total + lengths[l]);
            kept += counts[l];
        }
        var values = new float[kept];
        var indices = new int[kept];
        var scales = bits == 0 ? [] : new float[count];
        var data = bits == 0 ? [] : new byte[parts.Sum(p => p.Data.Length)];
        for (int l = 0, start = 0, at = 0, dataAt = 0; l < count; start += lengths[l], at += counts[l], l++)
        {
            var p = parts[l];
            p.Values.CopyTo(values, at);
            for (int j = 0; j < counts[l]; j++) indices[at + j] = start + p.Indices[j];
            if (bits == 0) continue;
            scales[l] = p.Scales[0];
            p.Data.CopyTo(data, dataAt);
            dataAt += p.Data.Length;
        }
        return new WireTensor(name, new Shape(total), WireEncoding.SparsePacked)
        {
            Values = values, Indices = indices, IndexEncoding = nominal, Bits = bits, Scales = scales, Data = data,
            SegmentLengths = lengths, SegmentCounts = counts,
        };
    }

    /// <summary>
    /// A packed tensor read back (used by the deserializer and <see cref="Scaled"/>): segments, float32 values (b = 0) or
    /// per-segment codes and scales, segment-relative indices already checked; the values of b-bit segments are decoded
    /// as <see cref="FromSparseQuantized"/> decodes them.
    /// </summary>
    internal static WireTensor FromPacked(string name, int[] lengths, int[] counts, WireEncoding nominal, int bits, float[] scales,
        byte[] data, float[] values, int[] globalIndices)
    {
        if (bits != 0)
        {
            for (int l = 0, at = 0, dataAt = 0; l < lengths.Length; at += counts[l], l++)
            {
                int codeBytes = Quantize.PackedLength(counts[l], bits);
                var codes = new sbyte[counts[l]];
                Quantize.Unpack(data.AsSpan(dataAt, codeBytes), bits, codes);
                Quantize.Dequantize(codes, scales[l], values.AsSpan(at, counts[l]));
                dataAt += codeBytes;
            }
        }
        return new WireTensor(name, new Shape(lengths.Sum()), WireEncoding.SparsePacked)
        {
            Values = values, Indices = globalIndices, IndexEncoding = nominal, Bits = bits, Scales = scales, Data = data,
            SegmentLengths = lengths, SegmentCounts = counts,
        };
    }

    /// <summary>The sparse encoding of <paramref name="coding"/> for a tensor of <paramref name="n"/> entries.</summary>
    private static WireEncoding SparseEncoding(IndexCoding coding, int n) => coding switch
    {
        IndexCoding.Int32 => WireEncoding.Sparse,
        IndexCoding.UInt16 => n <= 65_536 ? WireEncoding.SparseUInt16 : WireEncoding.Sparse,
        IndexCoding.Bitmap => WireEncoding.SparseBitmap,
        IndexCoding.EliasGammaDelta => WireEncoding.SparseGamma,
        _ => throw new ArgumentOutOfRangeException(nameof(coding), coding, "unknown index coding"),
    };

    /// <summary>
    /// b-bit codes <paramref name="codes"/> with one <paramref name="scale"/> (value = code · scale), packed by
    /// <see cref="Quantize.Pack"/>; b = 1 holds signs (±1). For codes a compressor rounded itself (stochastically, or signs).
    /// </summary>
    public static WireTensor FromCodes(string name, Shape shape, ReadOnlySpan<sbyte> codes, int bits, float scale)
    {
        CheckLength(shape, codes.Length);
        if (!(scale >= 0) || !float.IsFinite(scale)) throw new ArgumentException($"scale must be finite and non-negative, got {scale}");
        var packed = new byte[Quantize.PackedLength(codes.Length, bits)];
        Quantize.Pack(codes, bits, packed);
        return new WireTensor(name, shape, WireEncoding.Quantized) { Bits = bits, Axis = -1, Scales = [scale], Data = packed };
    }

    /// <summary>
    /// As <see cref="FromCodes"/> for 2 ≤ b ≤ 8, entropy-coded (<see cref="WireEncoding.QuantizedRans"/>) when that
    /// makes the body smaller (by at most <see cref="RansCoding.MaxRatio"/>), else plain
    /// <see cref="WireEncoding.Quantized"/>; both decode to the same values.
    /// </summary>
    public static WireTensor FromCodesCoded(string name, Shape shape, ReadOnlySpan<sbyte> codes, int bits, float scale)
    {
        if (bits is < 2 or > 8) throw new ArgumentOutOfRangeException(nameof(bits), bits, "entropy coding takes 2..8-bit codes");
        var plain = FromCodes(name, shape, codes, bits, scale);
        if (codes.IsEmpty) return plain;
        var coded = RansCoding.Encode(codes, bits);
        return coded.Length < plain.Data.Length && plain.Data.Length <= (long)RansCoding.MaxRatio * coded.Length
            ? FromQuantizedRans(name, shape, bits, scale, plain.Data, coded)
            : plain;
    }

    /// <summary>An entropy-coded tensor from its parts (used by the deserializer): packed codes, their coded form, scale.</summary>
    internal static WireTensor FromQuantizedRans(string name, Shape shape, int bits, float scale, byte[] packed, byte[] coded) =>
        new(name, shape, WireEncoding.QuantizedRans) { Bits = bits, Axis = -1, Scales = [scale], Data = packed, Coded = coded };

    /// <summary>
    /// The same tensor with every decoded value multiplied by <paramref name="a"/> ≥ 0: dense and sparse values are
    /// multiplied, quantized scales are (so the codes and the wire size are unchanged).
    /// </summary>
    public WireTensor Scaled(float a)
    {
        if (!(a >= 0) || !float.IsFinite(a)) throw new ArgumentOutOfRangeException(nameof(a), a, "a scale factor must be finite and non-negative");
        return Encoding switch
        {
            WireEncoding.DenseF32 => new WireTensor(Name, Shape, Encoding) { Values = Multiply(Values, a) },
            WireEncoding.Quantized or WireEncoding.QuantizedRans => new WireTensor(Name, Shape, Encoding) { Bits = Bits, Axis = Axis, Scales = Multiply(Scales, a), Data = Data, Coded = Coded },
            WireEncoding.Bytes => throw new InvalidOperationException($"raw bytes '{Name}' cannot be scaled"),
            WireEncoding.SparseQuantized => FromSparseQuantized(Name, Shape, Bits, Scales[0] * a, Data, Indices, IndexEncoding),
            WireEncoding.SparsePacked when Bits != 0 => FromPacked(Name, SegmentLengths, SegmentCounts, IndexEncoding, Bits, Multiply(Scales, a), Data, new float[Values.Length], Indices),
            WireEncoding.SparsePacked => new WireTensor(Name, Shape, Encoding)
            {
                Values = Multiply(Values, a), Indices = Indices, IndexEncoding = IndexEncoding, SegmentLengths = SegmentLengths, SegmentCounts = SegmentCounts,
            },
            _ => new WireTensor(Name, Shape, Encoding) { Values = Multiply(Values, a), Indices = Indices, IndexEncoding = IndexEncoding },
        };
    }

    private static float[] Multiply(float[] values, float a)
    {
        var r = new float[values.Length];
        for (int k = 0; k < r.Length; k++) r[k] = values[k] * a;
        return r;
    }

    /// <summary>The Top-k (by magnitude) of <paramref name="dense"/> with k = <see cref="TopK.Count"/>(n, <paramref name="keep"/>).</summary>
    public static WireTensor TopKOf(string name, Shape shape, ReadOnlySpan<float> dense, double keep)
    {
        CheckLength(shape, dense.Length);
        int k = TopK.Count(dense.Length, keep);
        var values = new float[k];
        var indices = new int[k];
        TopK.Select(dense, k, values, indices);
        return new WireTensor(name, shape, WireEncoding.Sparse) { Values = values, Indices = indices, IndexEncoding = WireEncoding.Sparse };
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
            case WireEncoding.Quantized or WireEncoding.QuantizedRans:
                var codes = new sbyte[destination.Length];
                Quantize.Unpack(Data, Bits, codes);
                if (Axis == -1) Quantize.Dequantize(codes, Scales[0], destination);
                else
                {
                    var (outer, channels, inner) = Quantize.Layout(Shape, Axis);
                    Quantize.DequantizePerChannel(codes, outer, channels, inner, Scales, destination);
                }
                break;
            case WireEncoding.Bytes:
                for (int i = 0; i < Data.Length; i++) destination[i] = Data[i];
                break;
            default:
                TopK.Scatter(Values, Indices, destination);
                break;
        }
    }

    /// <summary>
    /// Accumulates the decoded values: <paramref name="destination"/>[k] += value[k] in increasing k. A sparse tensor
    /// touches only its kept entries, so the others keep their bits (−0 stays −0).
    /// </summary>
    public void AddTo(Span<float> destination)
    {
        CheckLength(Shape, destination.Length);
        if (IsSparse)
        {
            TopK.ScatterAdd(Values, Indices, destination);
            return;
        }
        var dense = Encoding == WireEncoding.DenseF32 ? Values : ToArray();
        for (int k = 0; k < dense.Length; k++) destination[k] += dense[k];
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
