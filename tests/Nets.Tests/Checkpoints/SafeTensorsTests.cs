using System.Buffers.Binary;
using System.Text;
using FsCheck;
using FsCheck.Fluent;
using NanoFed.Nets;
using NanoFed.Nets.Checkpoints;
using Xunit;

namespace NanoFed.Tests;

public class SafeTensorsTests
{
    /// <summary>A file made of a length field, a header (given as text) and <paramref name="dataBytes"/> bytes of data.</summary>
    private static string Raw(TempDir dir, string header, int dataBytes, ulong? lengthField = null)
    {
        string path = dir.File("bad.safetensors");
        var h = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + h.Length + dataBytes];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, lengthField ?? (ulong)h.Length);
        h.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string Entry(string name, string dtype, string shape, long begin, long end) =>
        $"\"{name}\":{{\"dtype\":\"{dtype}\",\"shape\":{shape},\"data_offsets\":[{begin},{end}]}}";

    public static TheoryData<string, int, string> Malformed => new()
    {
        { "{" + Entry("a", "F32", "[2]", 0, 8) + ",", 8, "invalid JSON header" },
        { "{\"a\": nope}", 0, "invalid JSON header" },
        { "{" + Entry("a", "F32", "[2]", 0, 8) + "} {}", 8, "invalid JSON header: '{' is invalid after a single JSON value" },
        { "[]", 0, "the header is StartArray, expected StartObject" },
        { "{" + Entry("a", "Q7", "[2]", 0, 8) + "}", 8, "tensor 'a': unknown or unsupported dtype 'Q7'" },
        { "{" + Entry("a", "F16", "[2]", 0, 4) + "}", 4, "tensor 'a': unknown or unsupported dtype 'F16'" },
        { "{" + Entry("a", "F32", "[2,3]", 0, 20) + "}", 20, "tensor 'a': shape [2, 3] of F32 needs 24 bytes but data_offsets [0, 20] span 20" },
        { "{" + Entry("a", "F32", "[-2]", 0, 8) + "}", 8, "tensor 'a': shape holds something other than a non-negative integer" },
        { "{" + Entry("a", "F32", "[2]", 8, 0) + "}", 8, "tensor 'a': data_offsets [8, 0] end before they begin" },
        { "{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "F32", "[2]", 4, 12) + "}", 12, "tensor 'b' at data_offsets [4, 12] overlaps tensor 'a' (which ends at 8)" },
        { "{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("b", "F32", "[1]", 12, 16) + "}", 16, "data bytes [8, 12) belong to no tensor (gap before tensor 'b')" },
        { "{" + Entry("a", "F32", "[2]", 4, 12) + "}", 12, "data bytes [0, 4) belong to no tensor" },
        { "{" + Entry("a", "F32", "[2]", 0, 8) + "}", 12, "the data holds 12 bytes after the header but the tensors cover only 8" },
        { "{" + Entry("a", "F32", "[2]", 0, 8) + "}", 5, "truncated data: the tensors need 8 bytes after the header but the file holds 5" },
        { "{" + Entry("a", "F32", "[2]", 0, 8) + "," + Entry("a", "F32", "[2]", 8, 16) + "}", 16, "name 'a' appears twice in the header" },
        { "{\"__metadata__\":{\"k\":1}}", 0, "__metadata__ value of 'k' is Number, not a string" },
        { "{\"__metadata__\":{\"k\":\"1\"},\"__metadata__\":{}}", 0, "name '__metadata__' appears twice in the header" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", 0, "tensor 'a': missing data_offsets" },
        { "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"extra\":1}}", 4, "tensor 'a': unexpected or repeated field 'extra'" },
        { "{" + Entry("a", "F32", "[1]", 0, 4).Replace("[0,4]", "[0,4,8]") + "}", 4, "tensor 'a': data_offsets has 3 numbers" },
        { "", 0, "invalid JSON header" },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void MalformedHeaderIsRejected(string header, int dataBytes, string fault)
    {
        using var dir = new TempDir();
        string path = Raw(dir, header, dataBytes);
        var e = Assert.Throws<DataFormatException>(() => SafeTensors.ReadRaw(path));
        Assert.StartsWith(path + ": ", e.Message);
        Assert.Contains(fault, e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void HeaderLengthLargerThanFileIsRejected()
    {
        using var dir = new TempDir();
        string path = Raw(dir, "{}", 0, lengthField: 1000);
        Assert.Contains("header length 1000 is larger than the file (10 bytes)", Assert.Throws<DataFormatException>(() => SafeTensors.Read(path)).Message);
        File.WriteAllBytes(path, [1, 2, 3]);
        Assert.Contains("shorter than the 8-byte header length", Assert.Throws<DataFormatException>(() => SafeTensors.Read(path)).Message);
        string missing = dir.File("missing.safetensors");
        Assert.Equal($"{missing}: file not found", Assert.Throws<DataFormatException>(() => SafeTensors.Read(missing)).Message);
    }

    [Fact]
    public void WrittenFileFollowsTheLayout()
    {
        using var dir = new TempDir();
        string path = dir.File("w.safetensors");
        var a = Tensor.FromArray([1, 2, 3, 4, 5, 6], new Shape(2, 3));
        var b = Tensor.FromArray([7], new Shape());
        SafeTensors.Write(path, [("layer.a", a), ("b", b)], new Dictionary<string, string> { ["epoch"] = "3", ["note"] = "ü+<>" });
        var bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        Assert.Equal(0, (8 + n) % 8);
        string header = Encoding.UTF8.GetString(bytes, 8, (int)n);
        Assert.StartsWith("{\"__metadata__\":{\"epoch\":\"3\",\"note\":\"ü+<>\"},\"layer.a\":{\"dtype\":\"F32\",\"shape\":[2,3],\"data_offsets\":[0,24]}", header);
        Assert.EndsWith("}", header.TrimEnd(' '));
        Assert.InRange(header.Length - header.TrimEnd(' ').Length, 0, 7);
        Assert.Equal(8 + n + 28, bytes.Length);
        // An independent reading through JsonDocument finds the same offsets and values.
        using var doc = System.Text.Json.JsonDocument.Parse(header);
        var offsets = doc.RootElement.GetProperty("b").GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt32()).ToArray();
        Assert.Equal([24, 28], offsets);
        Assert.Equal(7f, BitConverter.ToSingle(bytes, (int)(8 + n + 24)));
        Assert.Equal(6f, BitConverter.ToSingle(bytes, (int)(8 + n + 20)));
        Assert.Equal("ü+<>", doc.RootElement.GetProperty("__metadata__").GetProperty("note").GetString());
    }

    [Fact]
    public void RoundTripsRandomShapesNamesAndMetadata()
    {
        var dims = Gen.Choose(0, 4);
        var shape = Gen.Choose(0, 4).SelectMany(rank => Gen.ArrayOf(dims, rank));
        var name = Gen.Elements("conv1.weight", "bn1.running_mean", "layer1.0.conv2.weight", "linear.bias", "x", "é/ü", "a b\"c");
        var tensors = Gen.Choose(0, 5).SelectMany(count => Gen.ArrayOf(Gen.Zip(name, shape), count));
        var seed = Gen.Choose(0, 1000);
        Prop.ForAll(Arb.From(Gen.Zip(tensors, seed)), input =>
        {
            var (specs, s) = input;
            var rng = new System.Random(s);
            var named = specs.DistinctBy(t => t.Item1).Select(t =>
            {
                var values = new float[new Shape(t.Item2).Length];
                for (int i = 0; i < values.Length; i++) values[i] = (float)(rng.NextDouble() * 2 - 1);
                return (Name: t.Item1, Value: Tensor.FromArray(values, new Shape(t.Item2)));
            }).ToList();
            var metadata = new Dictionary<string, string> { ["seed"] = s.ToString(System.Globalization.CultureInfo.InvariantCulture), ["empty"] = "" };
            using var dir = new TempDir();
            string path = dir.File("rt.safetensors");
            SafeTensors.Write(path, named, metadata);
            var (read, meta) = SafeTensors.Read(path);
            Assert.Equal(metadata, meta);
            Assert.Equal(named.Count, read.Count);
            foreach (var (n, v) in named)
            {
                Assert.Equal(v.Shape, read[n].Shape);
                Assert.Equal(v.ToArray(), read[n].ToArray());
            }
            Assert.Single(Directory.GetFiles(dir.PathName));
        }).Check(Config.QuickThrowOnFailure.WithMaxTest(60));
    }

    [Fact]
    public void IntegerDtypesRoundTripExactly()
    {
        using var dir = new TempDir();
        string path = dir.File("ints.safetensors");
        SafeTensors.WriteRaw(path,
        [
            SafeTensor.FromInt64("bn1.num_batches_tracked", [long.MaxValue - 1]),
            SafeTensor.FromInt32("counts", [1, -2, 3, -4], 2, 2),
            SafeTensor.FromBytes("rng.key", [0, 255, 7], 3),
            SafeTensor.FromTensor("w", Tensor.FromArray([0.5f, -1.25f], new Shape(2))),
        ]);
        var (raw, meta) = SafeTensors.ReadRaw(path);
        Assert.Empty(meta);
        Assert.Equal(SafeTensorDType.I64, raw["bn1.num_batches_tracked"].DType);
        Assert.Equal([long.MaxValue - 1], raw["bn1.num_batches_tracked"].ToInt64());
        Assert.Equal([1L, -2, 3, -4], raw["counts"].ToInt64());
        Assert.Equal([2, 2], raw["counts"].Shape);
        Assert.Equal([0L, 255, 7], raw["rng.key"].ToInt64());
        Assert.Equal([0.5f, -1.25f], raw["w"].ToTensor().ToArray());
        // The float view refuses an integer float32 cannot hold, naming the file.
        var e = Assert.Throws<DataFormatException>(() => SafeTensors.Read(path));
        Assert.Contains("bn1.num_batches_tracked (I64) holds 9223372036854775806", e.Message);
        SafeTensors.WriteRaw(path, [SafeTensor.FromInt64("n", [390, -1], 2)]);
        Assert.Equal([390f, -1f], SafeTensors.Read(path).Tensors["n"].ToArray());
    }

    [Fact]
    public void DataIsAlignedToEachElementSize()
    {
        using var dir = new TempDir();
        string path = dir.File("aligned.safetensors");
        SafeTensors.WriteRaw(path,
        [
            SafeTensor.FromBytes("u8", [1, 2, 3], 3),
            SafeTensor.FromTensor("f32", Tensor.FromArray([1f], new Shape(1))),
            SafeTensor.FromInt64("i64", [5], 1),
        ]);
        var bytes = File.ReadAllBytes(path);
        long n = BinaryPrimitives.ReadInt64LittleEndian(bytes);
        using var doc = System.Text.Json.JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)n));
        Assert.Equal(["i64", "f32", "u8"], doc.RootElement.EnumerateObject().Select(p => p.Name));
        foreach (var (name, size) in new[] { ("i64", 8), ("f32", 4) })
            Assert.Equal(0, (8 + n + doc.RootElement.GetProperty(name).GetProperty("data_offsets")[0].GetInt64()) % size);
        Assert.Equal([1L, 2, 3], SafeTensors.ReadRaw(path).Tensors["u8"].ToInt64());
    }

    [Fact]
    public void WriteReplacesAtomicallyAndCleansUpOnFailure()
    {
        using var dir = new TempDir();
        string path = dir.File("ckpt.safetensors");
        SafeTensors.Write(path, [("a", Tensor.FromArray([1f], new Shape(1)))]);
        SafeTensors.Write(path, [("a", Tensor.FromArray([2f, 3f], new Shape(2)))]);
        Assert.Equal([2f, 3f], SafeTensors.Read(path).Tensors["a"].ToArray());
        Assert.Throws<ArgumentException>(() => SafeTensors.Write(path, [("a", Tensor.FromArray([9f], new Shape(1))), ("a", Tensor.FromArray([9f], new Shape(1)))]));
        Assert.Equal([2f, 3f], SafeTensors.Read(path).Tensors["a"].ToArray());
        // The rename fails (the target is a folder): the temporary file is removed.
        string folder = dir.File("taken");
        Directory.CreateDirectory(folder);
        Assert.ThrowsAny<IOException>(() => SafeTensors.Write(folder, [("a", Tensor.FromArray([1f], new Shape(1)))]));
        Assert.Equal([path], Directory.GetFiles(dir.PathName));
    }

    [Fact]
    public void ReadsThePyTorchResNet20Fixture()
    {
        string path = Path.Combine(Fixture.Directory, "resnet20.safetensors");
        var (tensors, _) = SafeTensors.Read(path);
        Assert.Equal(new Shape(16, 3, 3, 3), tensors["param.conv1.weight"].Shape);
        Assert.Equal(new Shape(10, 64), tensors["param.linear.weight"].Shape);
        Assert.Equal(new Shape(8, 3, 32, 32), tensors["x"].Shape);
        Assert.Equal(new Shape(8), tensors["labels"].Shape);
        var reference = Fixture.Load("resnet20");
        Assert.Equal(reference.Values("param.layer2.0.conv1.weight"), tensors["param.layer2.0.conv1.weight"].ToArray());
        Assert.Equal(reference.Values("labels"), tensors["labels"].ToArray());
        Assert.Equal(SafeTensorDType.I64, SafeTensors.ReadRaw(path).Tensors["labels"].DType);
    }
}
