using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using NanoFed.Kernels;

namespace NanoFed.Federation.Transport;

/// <summary>
/// The binary wire format of a <see cref="Message"/>; everything little-endian.
/// <code>
/// message: magic "NFM2" (4) | kind u8 | phase u8 | round i32 | sender i32 | receiver i32 | tensors i32 = 22 bytes
/// tensor:  name length u16 | name UTF-8 | encoding u8 | rank u8 | dims i32 × rank | body length u32 | body
/// body:    DenseF32   f32 × n
///          Quantized  bits u8 | axis i8 (−1: one scale) | scales f32 × (1 or dims[axis]) | codes ceil(n·b/8)
///          Sparse     k i32 | values f32 × k | indices i32 × k
///          Bytes      u8 × n
///          SparseUInt16  k i32 | values f32 × k | indices u16 × k                      (n ≤ 65,536)
///          SparseBitmap  k i32 | values f32 × k | bitmap ceil(n/8), bit i set iff i is kept
///          SparseGamma   k i32 | values f32 × k | Elias-gamma gaps ceil(Σ(2⌊log2 g⌋+1)/8)  (<see cref="SparseIndices"/>)
///          SparseQuantized  k i32 | index encoding u8 (3, 5, 6 or 7) | bits u8 (2..8) | scale f32 | codes ceil(k·b/8)
///                           | indices as in that encoding
///          SparsePacked  several sparse tensors under one header (<see cref="PackedSparse"/>)
///          QuantizedRans  bits u8 (2..8) | scale f32 | the codes entropy-coded (<see cref="RansCoding"/>)
/// </code>
/// n is the product of the dims. A tensor's header is 2 + |name| + 1 + 1 + 4·rank + 4 bytes. Deserializing checks
/// every field (magic, kind, counts, encodings, ranks, lengths against what the header implies, strictly increasing
/// in-range sparse indices, finite scales, zero padding bits, no trailing bytes) and throws <see cref="FormatException"/> with one line saying what is wrong.
/// </summary>
public static class WireFormat
{
    /// <summary>Bytes of the message header.</summary>
    public const int MessageHeaderBytes = 22;

    private static ReadOnlySpan<byte> Magic => "NFM2"u8;
    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    /// <summary>The exact serialized size of <paramref name="message"/> in bytes.</summary>
    public static long Size(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        long size = MessageHeaderBytes;
        foreach (var t in message.Payload) size += TensorHeaderBytes(t) + BodyBytes(t);
        return size;
    }

    /// <summary>Header bytes of one tensor (name, encoding, rank, dims, body length).</summary>
    public static int TensorHeaderBytes(WireTensor tensor) => 2 + StrictUtf8.GetByteCount(tensor.Name) + 2 + 4 * tensor.Shape.Rank + 4;

    /// <summary>Body bytes of one tensor.</summary>
    public static long BodyBytes(WireTensor tensor) => tensor.Encoding switch
    {
        WireEncoding.DenseF32 => 4L * tensor.Values.Length,
        WireEncoding.Quantized => 2 + 4L * tensor.Scales.Length + tensor.Data.Length,
        WireEncoding.Bytes => tensor.Data.Length,
        WireEncoding.SparseQuantized => 4 + 2 + 4 + tensor.Data.Length + SparseIndices.Bytes(tensor),
        WireEncoding.SparsePacked => PackedSparse.BodyBytes(tensor),
        WireEncoding.QuantizedRans => 1 + 4 + tensor.Coded.Length,
        _ => 4 + 4L * tensor.Values.Length + SparseIndices.Bytes(tensor),
    };

    /// <summary>Serializes <paramref name="message"/> into a new array of exactly <see cref="Size"/> bytes.</summary>
    public static byte[] Serialize(Message message)
    {
        long size = Size(message);
        if (size > Array.MaxLength) throw new ArgumentException($"message of {size} bytes is too large for one buffer");
        var buffer = new byte[size];
        var w = new Writer(buffer);
        Magic.CopyTo(w.Take(4));
        w.U8((byte)message.Kind);
        w.U8((byte)message.Phase);
        w.I32(message.Round);
        w.I32(message.Sender);
        w.I32(message.Receiver);
        w.I32(message.Payload.Count);
        foreach (var t in message.Payload) WriteTensor(ref w, t);
        if (w.Position != buffer.Length) throw new InvalidOperationException($"wrote {w.Position} bytes, expected {buffer.Length}");
        return buffer;
    }

    /// <summary>Reads a message back; throws <see cref="FormatException"/> (one line) on malformed input.</summary>
    public static Message Deserialize(ReadOnlySpan<byte> bytes)
    {
        var r = new Reader(bytes);
        if (bytes.Length < MessageHeaderBytes) throw new FormatException($"message of {bytes.Length} bytes is shorter than its {MessageHeaderBytes}-byte header");
        if (!r.Take(4).SequenceEqual(Magic)) throw new FormatException("bad magic: not a NanoFed message");
        byte kind = r.U8();
        if (!Enum.IsDefined((MessageKind)kind)) throw new FormatException($"unknown message kind {kind}");
        byte phase = r.U8();
        if (!Enum.IsDefined((MessagePhase)phase)) throw new FormatException($"unknown message phase {phase}");
        int round = r.I32(), sender = r.I32(), receiver = r.I32(), count = r.I32();
        if (round < 0) throw new FormatException($"negative round {round}");
        if (count < 0 || count > r.Remaining / 8) throw new FormatException($"tensor count {count} is impossible for {r.Remaining} remaining bytes");
        var payload = new WireTensor[count];
        for (int i = 0; i < count; i++) payload[i] = ReadTensor(ref r, i);
        if (r.Remaining != 0) throw new FormatException($"{r.Remaining} trailing bytes after {count} tensors");
        return new Message(round, sender, receiver, (MessageKind)kind, payload, (MessagePhase)phase);
    }

    private static void WriteTensor(ref Writer w, WireTensor t)
    {
        int nameBytes = StrictUtf8.GetByteCount(t.Name);
        if (nameBytes > ushort.MaxValue) throw new ArgumentException($"tensor name of {nameBytes} bytes is too long");
        w.U16((ushort)nameBytes);
        StrictUtf8.GetBytes(t.Name, w.Take(nameBytes));
        w.U8((byte)t.Encoding);
        w.U8((byte)t.Shape.Rank);
        for (int d = 0; d < t.Shape.Rank; d++) w.I32(t.Shape[d]);
        w.U32((uint)BodyBytes(t));
        switch (t.Encoding)
        {
            case WireEncoding.DenseF32:
                w.Floats(t.Values);
                break;
            case WireEncoding.Quantized:
                w.U8((byte)t.Bits);
                w.U8((byte)(sbyte)t.Axis);
                w.Floats(t.Scales);
                t.Data.CopyTo(w.Take(t.Data.Length));
                break;
            case WireEncoding.Bytes:
                t.Data.CopyTo(w.Take(t.Data.Length));
                break;
            case WireEncoding.SparsePacked:
                WritePacked(ref w, t);
                break;
            case WireEncoding.QuantizedRans:
                w.U8((byte)t.Bits);
                w.Floats(t.Scales);
                t.Coded.CopyTo(w.Take(t.Coded.Length));
                break;
            case WireEncoding.SparseQuantized:
                w.I32(t.Indices.Length);
                w.U8((byte)t.IndexEncoding);
                w.U8((byte)t.Bits);
                w.Floats(t.Scales);
                t.Data.CopyTo(w.Take(t.Data.Length));
                SparseIndices.Write(t, w.Take(checked((int)SparseIndices.Bytes(t))));
                break;
            default:
                w.I32(t.Values.Length);
                w.Floats(t.Values);
                SparseIndices.Write(t, w.Take(checked((int)SparseIndices.Bytes(t))));
                break;
        }
    }

    private static WireTensor ReadTensor(ref Reader r, int index)
    {
        r.Need(2, index, "name length");
        int nameBytes = r.U16();
        string name;
        r.Need(nameBytes, index, "name");
        try { name = StrictUtf8.GetString(r.Take(nameBytes)); }
        catch (DecoderFallbackException) { throw new FormatException($"tensor {index}: name is not valid UTF-8"); }
        r.Need(2, index, "encoding and rank");
        byte encoding = r.U8();
        int rank = r.U8();
        if (!Enum.IsDefined((WireEncoding)encoding)) throw new FormatException($"tensor {index} '{Shown(name)}': unknown encoding {encoding}");
        if (rank > Shape.MaxRank) throw new FormatException($"tensor {index} '{Shown(name)}': rank {rank} exceeds {Shape.MaxRank}");
        r.Need(4 * rank + 4, index, "dims and body length");
        Span<int> dims = stackalloc int[rank];
        long n = 1;
        for (int d = 0; d < rank; d++)
        {
            dims[d] = r.I32();
            if (dims[d] < 0) throw new FormatException($"tensor {index} '{Shown(name)}': negative dimension {dims[d]}");
            n *= dims[d];
            if (n > Array.MaxLength) throw new FormatException($"tensor {index} '{Shown(name)}': {n}+ elements is too many");
        }
        var shape = new Shape(dims);
        long body = r.U32();
        if (body > r.Remaining) throw new FormatException($"tensor {index} '{Shown(name)}': body of {body} bytes but only {r.Remaining} remain");
        var b = new Reader(r.Take((int)body));
        var t = (WireEncoding)encoding switch
        {
            WireEncoding.DenseF32 => ReadDense(ref b, name, shape, index),
            WireEncoding.Quantized => ReadQuantized(ref b, name, shape, index),
            WireEncoding.Bytes => ReadBytes(ref b, name, shape, index),
            WireEncoding.SparseQuantized => ReadSparseQuantized(ref b, name, shape, index),
            WireEncoding.SparsePacked => ReadPacked(ref b, name, shape, index),
            WireEncoding.QuantizedRans => ReadQuantizedRans(ref b, name, shape, index),
            var sparse => ReadSparse(ref b, name, shape, index, sparse),
        };
        if (b.Remaining != 0) throw new FormatException($"tensor {index} '{Shown(name)}': {b.Remaining} unused body bytes");
        return t;
    }

    private static WireTensor ReadDense(ref Reader b, string name, Shape shape, int index)
    {
        if (b.Remaining != 4L * shape.Length) throw new FormatException($"tensor {index} '{Shown(name)}': dense body has {b.Remaining} bytes, shape {shape} needs {4L * shape.Length}");
        return WireTensor.Dense(name, shape, b.Floats(shape.Length));
    }

    private static WireTensor ReadQuantized(ref Reader b, string name, Shape shape, int index)
    {
        if (b.Remaining < 2) throw new FormatException($"tensor {index} '{Shown(name)}': quantized body too short");
        int bits = b.U8(), axis = (sbyte)b.U8();
        if (bits is < 1 or > 8) throw new FormatException($"tensor {index} '{Shown(name)}': bit width {bits} outside 1..8");
        if (axis < -1 || axis >= shape.Rank) throw new FormatException($"tensor {index} '{Shown(name)}': axis {axis} invalid for shape {shape}");
        int scales = axis == -1 ? 1 : shape[axis];
        long expected = 4L * scales + Quantize.PackedLength(shape.Length, bits);
        if (b.Remaining != expected) throw new FormatException($"tensor {index} '{Shown(name)}': quantized body has {b.Remaining + 2} bytes, expected {expected + 2}");
        var s = b.Floats(scales);
        foreach (float x in s)
            if (!(x >= 0) || !float.IsFinite(x)) throw new FormatException($"tensor {index} '{Shown(name)}': invalid scale {x}");
        var packed = b.Take(b.Remaining).ToArray();
        int used = (int)((long)shape.Length * bits % 8);
        if (used != 0 && packed[^1] >> used != 0)
            throw new FormatException($"tensor {index} '{Shown(name)}': padding bits of the last code byte are not zero");
        return WireTensor.FromQuantized(name, shape, bits, axis, s, packed);
    }

    private static WireTensor ReadQuantizedRans(ref Reader b, string name, Shape shape, int index)
    {
        string what = $"tensor {index} '{Shown(name)}'";
        if (b.Remaining < 5) throw new FormatException($"{what}: entropy-coded body too short");
        int bits = b.U8();
        if (bits is < 2 or > 8) throw new FormatException($"{what}: bit width {bits} outside 2..8");
        float scale = b.Floats(1)[0];
        if (!(scale >= 0) || !float.IsFinite(scale)) throw new FormatException($"{what}: invalid scale {scale}");
        if (shape.Length == 0) throw new FormatException($"{what}: an entropy-coded tensor holds at least one code");
        int packedBytes = Quantize.PackedLength(shape.Length, bits);
        if (packedBytes > (long)RansCoding.MaxRatio * b.Remaining)
            throw new FormatException($"{what}: {shape.Length} codes of {bits} bits in {b.Remaining} coded bytes, more than {RansCoding.MaxRatio} times fewer than packed");
        var coded = b.Take(b.Remaining).ToArray();
        var packed = new byte[packedBytes];
        RansCoding.DecodePacked(coded, bits, shape.Length, packed, what);
        return WireTensor.FromQuantizedRans(name, shape, bits, scale, packed, coded);
    }

    private static WireTensor ReadSparse(ref Reader b, string name, Shape shape, int index, WireEncoding encoding)
    {
        if (b.Remaining < 4) throw new FormatException($"tensor {index} '{Shown(name)}': sparse body too short");
        int k = b.I32();
        if (k < 0 || k > shape.Length || b.Remaining < 4L * k)
            throw new FormatException($"tensor {index} '{Shown(name)}': {k} sparse entries do not fit {b.Remaining} bytes and shape {shape}");
        var values = b.Floats(k);
        var indices = SparseIndices.Read(encoding, b.Take(b.Remaining), k, shape.Length, $"tensor {index} '{Shown(name)}'");
        return WireTensor.Owned(name, shape, values, indices, CodingOf(encoding));
    }

    private static WireTensor ReadSparseQuantized(ref Reader b, string name, Shape shape, int index)
    {
        if (b.Remaining < 10) throw new FormatException($"tensor {index} '{Shown(name)}': quantized sparse body too short");
        int k = b.I32();
        var indexEncoding = (WireEncoding)b.U8();
        int bits = b.U8();
        if (k < 0 || k > shape.Length) throw new FormatException($"tensor {index} '{Shown(name)}': {k} sparse entries do not fit shape {shape}");
        if (indexEncoding is not (WireEncoding.Sparse or WireEncoding.SparseUInt16 or WireEncoding.SparseBitmap or WireEncoding.SparseGamma))
            throw new FormatException($"tensor {index} '{Shown(name)}': index encoding {(byte)indexEncoding} is not a sparse one");
        if (bits is < 2 or > 8) throw new FormatException($"tensor {index} '{Shown(name)}': bit width {bits} outside 2..8");
        float scale = b.Floats(1)[0];
        if (!(scale >= 0) || !float.IsFinite(scale)) throw new FormatException($"tensor {index} '{Shown(name)}': invalid scale {scale}");
        int codeBytes = Quantize.PackedLength(k, bits);
        if (b.Remaining < codeBytes) throw new FormatException($"tensor {index} '{Shown(name)}': {k} codes of {bits} bits do not fit {b.Remaining} bytes");
        var packed = b.Take(codeBytes).ToArray();
        int used = (int)((long)k * bits % 8);
        if (used != 0 && packed[^1] >> used != 0)
            throw new FormatException($"tensor {index} '{Shown(name)}': padding bits of the last code byte are not zero");
        var indices = SparseIndices.Read(indexEncoding, b.Take(b.Remaining), k, shape.Length, $"tensor {index} '{Shown(name)}'");
        return WireTensor.FromSparseQuantized(name, shape, bits, scale, packed, indices, indexEncoding);
    }

    private static void WritePacked(ref Writer w, WireTensor t)
    {
        int segments = t.SegmentLengths.Length;
        w.Varint((uint)segments);
        w.U8((byte)t.IndexEncoding);
        w.U8((byte)t.Bits);
        for (int l = 0; l < segments; l++)
        {
            w.Varint((uint)t.SegmentLengths[l]);
            w.Varint((uint)t.SegmentCounts[l]);
            if (t.Bits != 0) w.Floats(t.Scales.AsSpan(l, 1));
        }
        if (t.Bits == 0) w.Floats(t.Values);
        else t.Data.CopyTo(w.Take(t.Data.Length));
        for (int l = 0, start = 0, at = 0; l < segments; start += t.SegmentLengths[l], at += t.SegmentCounts[l], l++)
        {
            int n = t.SegmentLengths[l];
            var encoding = PackedSparse.SegmentEncoding(t.IndexEncoding, n);
            var relative = PackedSparse.RelativeIndices(t, l, start, at);
            SparseIndices.Write(encoding, relative, w.Take(checked((int)SparseIndices.Bytes(encoding, relative, n)!.Value)));
        }
    }

    private static WireTensor ReadPacked(ref Reader b, string name, Shape shape, int index)
    {
        string what = $"tensor {index} '{Shown(name)}'";
        if (shape.Rank != 1) throw new FormatException($"{what}: a packed tensor has rank 1, got shape {shape}");
        uint segments = b.Varint(what);
        if (b.Remaining < 2) throw new FormatException($"{what}: packed body too short");
        var nominal = (WireEncoding)b.U8();
        int bits = b.U8();
        if (nominal is not (WireEncoding.Sparse or WireEncoding.SparseUInt16 or WireEncoding.SparseBitmap))
            throw new FormatException($"{what}: index encoding {(byte)nominal} cannot be packed");
        if (bits is not 0 and (< 2 or > 8)) throw new FormatException($"{what}: bit width {bits} is neither 0 (float32) nor 2..8");
        // Each segment takes at least 2 bytes of the body, which bounds what a forged count can allocate.
        if (segments > b.Remaining / 2) throw new FormatException($"{what}: {segments} segments do not fit {b.Remaining} bytes");
        var lengths = new int[segments];
        var counts = new int[segments];
        var scales = bits == 0 ? [] : new float[segments];
        long total = 0, kept = 0, codeBytes = 0;
        for (int l = 0; l < segments; l++)
        {
            uint n = b.Varint(what), k = b.Varint(what);
            if (k > n) throw new FormatException($"{what}: segment {l} keeps {k} of {n} entries");
            total += n;
            kept += k;
            if (total > shape.Length) throw new FormatException($"{what}: segments hold more than the shape's {shape.Length} entries");
            (lengths[l], counts[l]) = ((int)n, (int)k);
            if (bits == 0) continue;
            if (b.Remaining < 4) throw new FormatException($"{what}: segment {l}'s scale is missing");
            scales[l] = b.Floats(1)[0];
            if (!(scales[l] >= 0) || !float.IsFinite(scales[l])) throw new FormatException($"{what}: segment {l} has invalid scale {scales[l]}");
            codeBytes += Quantize.PackedLength((int)k, bits);
        }
        if (total != shape.Length) throw new FormatException($"{what}: segments hold {total} entries, the shape {shape.Length}");
        long valueBytes = bits == 0 ? 4 * kept : codeBytes;
        if (b.Remaining < valueBytes) throw new FormatException($"{what}: {kept} values do not fit {b.Remaining} bytes");
        var values = bits == 0 ? b.Floats((int)kept) : new float[kept];
        var data = bits == 0 ? [] : b.Take((int)codeBytes).ToArray();
        var indices = new int[kept];
        for (int l = 0, start = 0, at = 0, dataAt = 0; l < segments; start += lengths[l], at += counts[l], l++)
        {
            if (bits != 0)
            {
                int bytes = Quantize.PackedLength(counts[l], bits), used = (int)((long)counts[l] * bits % 8);
                if (used != 0 && data[dataAt + bytes - 1] >> used != 0)
                    throw new FormatException($"{what}: padding bits of segment {l}'s last code byte are not zero");
                dataAt += bytes;
            }
            var encoding = PackedSparse.SegmentEncoding(nominal, lengths[l]);
            long indexBytes = encoding == WireEncoding.SparseBitmap ? (lengths[l] + 7L) / 8 : (encoding == WireEncoding.Sparse ? 4L : 2L) * counts[l];
            if (b.Remaining < indexBytes) throw new FormatException($"{what}: segment {l}'s indices do not fit {b.Remaining} bytes");
            var relative = SparseIndices.Read(encoding, b.Take((int)indexBytes), counts[l], lengths[l], $"{what} segment {l}");
            for (int j = 0; j < relative.Length; j++) indices[at + j] = start + relative[j];
        }
        return WireTensor.FromPacked(name, lengths, counts, nominal, bits, scales, data, values, indices);
    }

    /// <summary>A tensor name as an error message shows it: control characters escaped, so the message stays one line.</summary>
    private static string Shown(string name) =>
        name.Any(char.IsControl) ? string.Concat(name.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString())) : name;

    private static IndexCoding CodingOf(WireEncoding encoding) => encoding switch
    {
        WireEncoding.SparseUInt16 => IndexCoding.UInt16,
        WireEncoding.SparseBitmap => IndexCoding.Bitmap,
        WireEncoding.SparseGamma => IndexCoding.EliasGammaDelta,
        _ => IndexCoding.Int32,
    };

    private static WireTensor ReadBytes(ref Reader b, string name, Shape shape, int index)
    {
        if (shape.Rank != 1 || b.Remaining != shape.Length)
            throw new FormatException($"tensor {index} '{Shown(name)}': byte body of {b.Remaining} bytes does not match shape {shape}");
        return WireTensor.Raw(name, b.Take(b.Remaining));
    }

    private ref struct Writer(Span<byte> buffer)
    {
        private readonly Span<byte> _buffer = buffer;
        public int Position;

        public Span<byte> Take(int n)
        {
            var s = _buffer.Slice(Position, n);
            Position += n;
            return s;
        }

        public void U8(byte v) => _buffer[Position++] = v;
        public void U16(ushort v) => BinaryPrimitives.WriteUInt16LittleEndian(Take(2), v);
        public void I32(int v) => BinaryPrimitives.WriteInt32LittleEndian(Take(4), v);
        public void U32(uint v) => BinaryPrimitives.WriteUInt32LittleEndian(Take(4), v);

        public void Varint(uint v)
        {
            for (; v >= 0x80; v >>= 7) U8((byte)(v | 0x80));
            U8((byte)v);
        }

        public void Floats(ReadOnlySpan<float> v)
        {
            var dst = Take(4 * v.Length);
            if (BitConverter.IsLittleEndian) MemoryMarshal.AsBytes(v).CopyTo(dst);
            else for (int i = 0; i < v.Length; i++) BinaryPrimitives.WriteSingleLittleEndian(dst[(4 * i)..], v[i]);
        }
    }

    private ref struct Reader(ReadOnlySpan<byte> bytes)
    {
        private readonly ReadOnlySpan<byte> _bytes = bytes;
        private int _position;

        public readonly int Remaining => _bytes.Length - _position;

        public readonly void Need(int n, int index, string what)
        {
            if (n > Remaining) throw new FormatException($"tensor {index}: truncated in its {what} ({Remaining} bytes left, {n} needed)");
        }

        public ReadOnlySpan<byte> Take(int n)
        {
            if (n > Remaining) throw new FormatException($"truncated: {n} bytes needed, {Remaining} left");
            var s = _bytes.Slice(_position, n);
            _position += n;
            return s;
        }

        public byte U8() => Take(1)[0];
        public ushort U16() => BinaryPrimitives.ReadUInt16LittleEndian(Take(2));
        public int I32() => BinaryPrimitives.ReadInt32LittleEndian(Take(4));
        public uint U32() => BinaryPrimitives.ReadUInt32LittleEndian(Take(4));

        /// <summary>An unsigned LEB128 varint of at most 5 bytes, minimal (no trailing zero byte) and within int32.</summary>
        public uint Varint(string what)
        {
            uint v = 0;
            for (int shift = 0; shift < 35; shift += 7)
            {
                if (Remaining == 0) throw new FormatException($"{what}: truncated varint");
                byte x = U8();
                if (shift == 28 && x > 0x07) throw new FormatException($"{what}: varint exceeds 31 bits");
                v |= (uint)(x & 0x7F) << shift;
                if ((x & 0x80) != 0) continue;
                if (x == 0 && shift > 0) throw new FormatException($"{what}: varint is not minimal");
                return v;
            }
            throw new FormatException($"{what}: varint longer than 5 bytes");
        }

        public float[] Floats(int n)
        {
            var src = Take(4 * n);
            var v = new float[n];
            if (BitConverter.IsLittleEndian) src.CopyTo(MemoryMarshal.AsBytes(v.AsSpan()));
            else for (int i = 0; i < n; i++) v[i] = BinaryPrimitives.ReadSingleLittleEndian(src[(4 * i)..]);
            return v;
        }
    }
}
