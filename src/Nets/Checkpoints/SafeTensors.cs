using System.Buffers;
using System.Buffers.Binary;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace NanoFed.Nets.Checkpoints;

/// <summary>
/// Reads and writes the safetensors format (huggingface/safetensors): an 8-byte little-endian header length N,
/// N bytes of UTF-8 JSON mapping each name to {"dtype", "shape", "data_offsets": [begin, end]} plus an optional
/// "__metadata__" object of strings, padded with spaces so the data starts 8-byte aligned, then the data.
/// Offsets are relative to the data start; the tensors' byte ranges are contiguous, do not overlap, and cover
/// the data exactly. Files are written atomically (a temporary file, then a rename). A malformed file raises a
/// <see cref="DataFormatException"/> whose one-line message names the file and the fault. JSON goes through
/// <see cref="Utf8JsonReader"/> and <see cref="Utf8JsonWriter"/> only, so the code stays trimming- and AOT-safe.
/// </summary>
public static partial class SafeTensors
{
    /// <summary>The header key of the string-to-string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Writes float tensors (dtype F32), in the order given, with optional metadata.</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Value)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        WriteRaw(path, tensors.Select(t => SafeTensor.FromTensor(t.Name, t.Value)), metadata);
    }

    /// <summary>
    /// Writes entries of any supported dtype with optional metadata. The data is laid out by element size,
    /// largest first (stable, so entries of one size keep the order given): every tensor then starts at a
    /// multiple of its element size from the 8-byte-aligned data start, as the reference writer arranges.
    /// </summary>
    public static void WriteRaw(string path, IEnumerable<SafeTensor> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        ArgumentNullException.ThrowIfNull(tensors);
        CheckLittleEndian();
        var entries = tensors.OrderByDescending(e => SafeTensor.SizeOf(e.DType)).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var e in entries)
        {
            if (e.Name == MetadataKey) throw new ArgumentException($"a tensor cannot be named {MetadataKey}", nameof(tensors));
            if (!names.Add(e.Name)) throw new ArgumentException($"tensor name {e.Name} appears twice", nameof(tensors));
        }
        byte[] header = Header(entries, metadata);
        AtomicFile.Write(path, stream =>
        {
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var e in entries) stream.Write(e.Data);
        });
    }

    /// <summary>Reads every tensor as float (integer dtypes converted exactly, see <see cref="SafeTensor.ToTensor"/>) and the metadata.</summary>
    public static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path) => ToTensors(path, ReadRaw(path));

    /// <summary><see cref="Read(string)"/> on an open seekable stream positioned at its start; errors name <paramref name="path"/>.</summary>
    internal static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) Read(string path, Stream stream) =>
        ToTensors(path, ReadRaw(path, stream));

    private static (Dictionary<string, Tensor> Tensors, Dictionary<string, string> Metadata) ToTensors(string path,
        (Dictionary<string, SafeTensor> Tensors, Dictionary<string, string> Metadata) file)
    {
        var (raw, metadata) = file;
        var tensors = new Dictionary<string, Tensor>(raw.Count, StringComparer.Ordinal);
        foreach (var (name, entry) in raw)
        {
            try
            {
                tensors[name] = entry.ToTensor();
            }
            catch (InvalidOperationException e)
            {
                throw new DataFormatException(path, e.Message, e);
            }
        }
        return (tensors, metadata);
    }

    /// <summary>Reads every entry with its own dtype, and the metadata.</summary>
    public static (Dictionary<string, SafeTensor> Tensors, Dictionary<string, string> Metadata) ReadRaw(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        CheckLittleEndian();
        using var stream = DataFile.Open(path);
        return ReadRaw(path, stream);
    }

    /// <summary><see cref="ReadRaw(string)"/> on an open seekable stream positioned at its start; errors name <paramref name="path"/>.</summary>
    internal static (Dictionary<string, SafeTensor> Tensors, Dictionary<string, string> Metadata) ReadRaw(string path, Stream stream)
    {
        long fileLength = stream.Length;
        if (fileLength < 8)
            throw new DataFormatException(path, $"file is {fileLength} bytes, shorter than the 8-byte header length");
        Span<byte> word = stackalloc byte[8];
        stream.ReadExactly(word);
        ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(word);
        if (headerLength > (ulong)(fileLength - 8))
            throw new DataFormatException(path, $"header length {headerLength} is larger than the file ({fileLength} bytes)");
        if (headerLength > MaxHeaderBytes)
            throw new DataFormatException(path, $"header length {headerLength} exceeds the {MaxHeaderBytes}-byte limit");
        var header = new byte[headerLength];
        stream.ReadExactly(header);
        var (specs, metadata) = ParseHeader(path, header);
        CheckLayout(path, specs, fileLength - 8 - (long)headerLength);
        var tensors = new Dictionary<string, SafeTensor>(specs.Count, StringComparer.Ordinal);
        foreach (var s in specs.OrderBy(s => s.Begin))
        {
            var data = new byte[s.End - s.Begin];
            stream.ReadExactly(data);
            tensors[s.Name] = new SafeTensor(s.Name, s.DType, s.Shape, data);
        }
        return (tensors, metadata);
    }

    /// <summary>The largest header accepted (the reference implementation's limit is 100 MB).</summary>
    private const int MaxHeaderBytes = 100_000_000;

    /// <summary>The JSON header, padded with spaces to a multiple of 8 bytes so the data starts aligned.</summary>
    private static byte[] Header(List<SafeTensor> entries, IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata is not null && metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var (key, value) in metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
                    json.WriteString(key, value ?? throw new ArgumentException($"metadata {key} is null", nameof(metadata)));
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var e in entries)
            {
                json.WriteStartObject(e.Name);
                json.WriteString("dtype", DTypeName(e.DType));
                json.WriteStartArray("shape");
                foreach (int d in e.Shape) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset += e.Data.LongLength);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) & ~7;
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    private static string DTypeName(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F32 => "F32",
        SafeTensorDType.I64 => "I64",
        SafeTensorDType.I32 => "I32",
        SafeTensorDType.U8 => "U8",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    private static void CheckLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("safetensors data is little-endian; this machine is big-endian");
    }
}
