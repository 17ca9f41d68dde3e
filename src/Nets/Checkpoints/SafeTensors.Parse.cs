using System.Text.Json;

namespace NanoFed.Nets.Checkpoints;

public static partial class SafeTensors
{
    /// <summary>One header entry: where a tensor's bytes lie, relative to the data start.</summary>
    private readonly record struct Spec(string Name, SafeTensorDType DType, int[] Shape, long Begin, long End);

    /// <summary>Parses the JSON header; every structural fault becomes a one-line <see cref="DataFormatException"/>.</summary>
    private static (List<Spec> Specs, Dictionary<string, string> Metadata) ParseHeader(string path, byte[] header)
    {
        var specs = new List<Spec>();
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        var names = new HashSet<string>(StringComparer.Ordinal);
        try
        {
            var json = new Utf8JsonReader(header, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Disallow, MaxDepth = 8 });
            Expect(path, ref json, JsonTokenType.StartObject, "the header");
            while (Next(ref json) != JsonTokenType.EndObject)
            {
                string name = json.GetString()!;
                if (!names.Add(name)) throw new DataFormatException(path, $"name '{name}' appears twice in the header");
                if (name == MetadataKey) ParseMetadata(path, ref json, metadata);
                else specs.Add(ParseSpec(path, ref json, name));
            }
            if (json.Read()) throw new DataFormatException(path, "invalid JSON header: content after the closing brace");
        }
        catch (JsonException e)
        {
            throw new DataFormatException(path, $"invalid JSON header: {OneLine(e.Message)}", e);
        }
        catch (InvalidOperationException e)
        {
            throw new DataFormatException(path, $"invalid JSON header: {OneLine(e.Message)}", e);
        }
        return (specs, metadata);
    }

    private static void ParseMetadata(string path, ref Utf8JsonReader json, Dictionary<string, string> metadata)
    {
        Expect(path, ref json, JsonTokenType.StartObject, MetadataKey);
        while (Next(ref json) != JsonTokenType.EndObject)
        {
            string key = json.GetString()!;
            if (Next(ref json) != JsonTokenType.String)
                throw new DataFormatException(path, $"{MetadataKey} value of '{key}' is {json.TokenType}, not a string");
            if (!metadata.TryAdd(key, json.GetString()!))
                throw new DataFormatException(path, $"{MetadataKey} key '{key}' appears twice");
        }
    }

    private static Spec ParseSpec(string path, ref Utf8JsonReader json, string name)
    {
        Expect(path, ref json, JsonTokenType.StartObject, $"tensor '{name}'");
        string? dtype = null;
        List<long>? shape = null, offsets = null;
        while (Next(ref json) != JsonTokenType.EndObject)
        {
            string field = json.GetString()!;
            switch (field)
            {
                case "dtype" when dtype is null:
                    if (Next(ref json) != JsonTokenType.String) throw new DataFormatException(path, $"tensor '{name}': dtype is not a string");
                    dtype = json.GetString()!;
                    break;
                case "shape" when shape is null:
                    shape = ReadIntegers(path, ref json, name, field);
                    break;
                case "data_offsets" when offsets is null:
                    offsets = ReadIntegers(path, ref json, name, field);
                    break;
                default:
                    throw new DataFormatException(path, $"tensor '{name}': unexpected or repeated field '{field}'");
            }
        }
        if (dtype is null || shape is null || offsets is null)
            throw new DataFormatException(path, $"tensor '{name}': missing {(dtype is null ? "dtype" : shape is null ? "shape" : "data_offsets")}");
        var type = dtype switch
        {
            "F32" => SafeTensorDType.F32,
            "I64" => SafeTensorDType.I64,
            "I32" => SafeTensorDType.I32,
            "U8" => SafeTensorDType.U8,
            _ => throw new DataFormatException(path, $"tensor '{name}': unknown or unsupported dtype '{dtype}' (supported: F32, I64, I32, U8)"),
        };
        if (offsets.Count != 2) throw new DataFormatException(path, $"tensor '{name}': data_offsets has {offsets.Count} numbers, expected [begin, end]");
        var dims = new int[shape.Count];
        long bytes = SafeTensor.SizeOf(type);
        for (int i = 0; i < dims.Length; i++)
        {
            if (shape[i] > int.MaxValue) throw new DataFormatException(path, $"tensor '{name}': dimension {shape[i]} is too large");
            dims[i] = (int)shape[i];
            bytes = shape[i] == 0 || bytes <= long.MaxValue / shape[i] ? bytes * shape[i]
                : throw new DataFormatException(path, $"tensor '{name}': shape {Format(shape)} is too large");
        }
        long begin = offsets[0], end = offsets[1];
        if (begin > end) throw new DataFormatException(path, $"tensor '{name}': data_offsets {Format(offsets)} end before they begin");
        if (end - begin != bytes)
            throw new DataFormatException(path, $"tensor '{name}': shape {Format(shape)} of {dtype} needs {bytes} bytes but data_offsets {Format(offsets)} span {end - begin}");
        return new Spec(name, type, dims, begin, end);
    }

    /// <summary>Checks that the byte ranges are contiguous from 0, without overlap, and cover the data exactly.</summary>
    private static void CheckLayout(string path, List<Spec> specs, long dataLength)
    {
        long covered = 0;
        string previous = "";
        foreach (var s in specs.OrderBy(s => s.Begin).ThenBy(s => s.End))
        {
            if (s.Begin < covered)
                throw new DataFormatException(path, $"tensor '{s.Name}' at data_offsets [{s.Begin}, {s.End}] overlaps tensor '{previous}' (which ends at {covered})");
            if (s.Begin > covered)
                throw new DataFormatException(path, $"data bytes [{covered}, {s.Begin}) belong to no tensor (gap before tensor '{s.Name}')");
            covered = s.End;
            previous = s.Name;
        }
        if (covered > dataLength)
            throw new DataFormatException(path, $"truncated data: the tensors need {covered} bytes after the header but the file holds {dataLength}");
        if (covered < dataLength)
            throw new DataFormatException(path, $"the data holds {dataLength} bytes after the header but the tensors cover only {covered}");
    }

    private static List<long> ReadIntegers(string path, ref Utf8JsonReader json, string name, string field)
    {
        if (Next(ref json) != JsonTokenType.StartArray) throw new DataFormatException(path, $"tensor '{name}': {field} is not an array");
        var values = new List<long>();
        while (Next(ref json) != JsonTokenType.EndArray)
        {
            if (json.TokenType != JsonTokenType.Number || !json.TryGetInt64(out long v) || v < 0)
                throw new DataFormatException(path, $"tensor '{name}': {field} holds something other than a non-negative integer");
            values.Add(v);
        }
        return values;
    }

    private static JsonTokenType Next(ref Utf8JsonReader json)
    {
        if (!json.Read()) throw new JsonException("the header ends early");
        return json.TokenType;
    }

    private static void Expect(string path, ref Utf8JsonReader json, JsonTokenType type, string what)
    {
        if (Next(ref json) != type) throw new DataFormatException(path, $"{what} is {json.TokenType}, expected {type}");
    }

    private static string Format(List<long> values) => "[" + string.Join(", ", values) + "]";

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");
}
