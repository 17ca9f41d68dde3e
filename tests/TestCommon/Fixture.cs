using System.Buffers.Binary;
using System.Text;
using System.Text.Json;

namespace NanoFed.Tests;

/// <summary>
/// A PyTorch reference fixture: a safetensors file under tests/fixtures written by tests/fixtures/generate.py.
/// Tensors are named "case.role" (for example "k3s2.x", "k3s2.out", "k3s2.grad.x"); per-case arguments sit in
/// the header's __metadata__ as "case.arg" → value.
/// </summary>
public sealed class Fixture
{
    private readonly Dictionary<string, (Shape Shape, float[] Values)> _tensors;
    private readonly Dictionary<string, string> _metadata;

    private Fixture(string name, Dictionary<string, (Shape, float[])> tensors, Dictionary<string, string> metadata)
    {
        Name = name;
        _tensors = tensors;
        _metadata = metadata;
    }

    /// <summary>File name without extension.</summary>
    public string Name { get; }

    /// <summary>Loads tests/fixtures/<paramref name="name"/>.safetensors.</summary>
    public static Fixture Load(string name)
    {
        string path = Path.Combine(Directory, name + ".safetensors");
        byte[] bytes = File.ReadAllBytes(path);
        long headerLength = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var doc = JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)headerLength));
        int dataStart = 8 + (int)headerLength;
        var tensors = new Dictionary<string, (Shape, float[])>();
        var metadata = new Dictionary<string, string>();
        foreach (var prop in doc.RootElement.EnumerateObject())
        {
            if (prop.Name == "__metadata__")
            {
                foreach (var m in prop.Value.EnumerateObject()) metadata[m.Name] = m.Value.GetString()!;
                continue;
            }
            string dtype = prop.Value.GetProperty("dtype").GetString()!;
            int[] dims = prop.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()).ToArray();
            var offsets = prop.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var raw = bytes.AsSpan(dataStart + (int)offsets[0], (int)(offsets[1] - offsets[0]));
            float[] values = dtype switch
            {
                "F32" => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(raw).ToArray(),
                "I64" => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(raw).ToArray().Select(v => (float)v).ToArray(),
                "I32" => System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(raw).ToArray().Select(v => (float)v).ToArray(),
                _ => throw new InvalidDataException($"{path}: tensor {prop.Name} has unsupported dtype {dtype}"),
            };
            tensors[prop.Name] = (new Shape(dims), values);
        }
        return new Fixture(name, tensors, metadata);
    }

    /// <summary>The folder tests/fixtures, found by walking up from the test binaries.</summary>
    public static string Directory
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                string candidate = Path.Combine(d.FullName, "tests", "fixtures");
                if (System.IO.Directory.Exists(candidate)) return candidate;
            }
            throw new DirectoryNotFoundException($"tests/fixtures not found above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>Whether a tensor with this name exists.</summary>
    public bool Has(string name) => _tensors.ContainsKey(name);

    /// <summary>A fresh (unpooled) tensor holding a copy of the named values.</summary>
    public Tensor Tensor(string name)
    {
        if (!_tensors.TryGetValue(name, out var t))
            throw new KeyNotFoundException($"fixture {Name} has no tensor {name}");
        return NanoFed.Tensor.FromArray((float[])t.Values.Clone(), t.Shape);
    }

    /// <summary>The named values.</summary>
    public float[] Values(string name) => Tensor(name).ToArray();

    /// <summary>Case names: the part before the first dot of every tensor name.</summary>
    public IEnumerable<string> Cases => _tensors.Keys.Select(k => k.Split('.')[0]).Distinct().Order();

    /// <summary>A metadata value of a case ("case.key").</summary>
    public string Meta(string caseName, string key) =>
        _metadata.TryGetValue(caseName + "." + key, out var v) ? v : throw new KeyNotFoundException($"fixture {Name} has no metadata {caseName}.{key}");

    /// <summary>An integer metadata value.</summary>
    public int MetaInt(string caseName, string key) => int.Parse(Meta(caseName, key), System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>A float metadata value.</summary>
    public float MetaFloat(string caseName, string key) => float.Parse(Meta(caseName, key), System.Globalization.CultureInfo.InvariantCulture);
}
