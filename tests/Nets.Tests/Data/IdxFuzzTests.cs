using System.Buffers.Binary;
using System.IO.Compression;
using NanoFed.Nets;
using NanoFed.Nets.Data;
using NanoFed.Tests.Fuzzing;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// Mutation fuzzing of the IDX reader (<see cref="Fuzz"/>): image and label files, plain and gzip-compressed (the
/// compressed bytes mutated, and the decompressed bytes mutated then compressed), read as a dataset by
/// <see cref="Idx.Read(string, Stream, string, Stream, int)"/> from memory (the path overload only opens the files);
/// only <see cref="DataFormatException"/> may come out. A parse may allocate 4 bytes per input byte (for gzip, per
/// byte of the valid file before compression) plus 256 KiB for the gzip state and the error.
/// </summary>
public class IdxFuzzTests(ITestOutputHelper output)
{
    private const long Overhead = 256 * 1024;

    private static readonly byte[] Images = File(Idx.ImagesMagic, [3, 4, 5], k => (byte)(k * 7));
    private static readonly byte[] Labels = File(Idx.LabelsMagic, [3], k => (byte)(k + 4));

    /// <summary>The magic and every dimension of an IDX header of the given rank.</summary>
    private static FuzzField[] Fields(int rank) => [.. Enumerable.Range(0, rank + 1).Select(i => new FuzzField(4 * i, 4, BigEndian: true))];

    [Fact]
    public void PlainImagesRefuseOnlyWithDataFormatException() =>
        Fuzz.Run<DataFormatException>(output, "idx images", Images, Fields(3), Stage(images: true, gzip: false), n => 4L * n + Overhead);

    [Fact]
    public void PlainLabelsRefuseOnlyWithDataFormatException() =>
        Fuzz.Run<DataFormatException>(output, "idx labels", Labels, Fields(1), Stage(images: false, gzip: false), n => 4L * n + Overhead);

    /// <summary>The compressed bytes mutated; the gzip header's magic, flags and time and its trailer's CRC and size are the fields.</summary>
    [Fact]
    public void GzipStreamRefusesOnlyWithDataFormatException()
    {
        var compressed = Gzip(Images);
        FuzzField[] fields = [new(0, 2), new(3, 1), new(4, 4), new(compressed.Length - 8, 4), new(compressed.Length - 4, 4)];
        Fuzz.Run<DataFormatException>(output, "idx gzip (compressed bytes)", compressed, fields,
            bytes => () => Idx.Read("images.gz", new MemoryStream(bytes), "labels", new MemoryStream(Labels)), n => 4L * Images.Length + Overhead);
    }

    [Fact]
    public void GzipContentRefusesOnlyWithDataFormatException() =>
        Fuzz.Run<DataFormatException>(output, "idx gzip (decompressed bytes)", Images, Fields(3), Stage(images: true, gzip: true), n => 4L * n + Overhead);

    /// <summary>Reads the mutated file (compressed when <paramref name="gzip"/>) with a valid partner.</summary>
    private static Func<byte[], Action> Stage(bool images, bool gzip) => bytes =>
    {
        var i = new MemoryStream(images ? (gzip ? Gzip(bytes) : bytes) : Images);
        var l = new MemoryStream(images ? Labels : bytes);
        return () => Idx.Read("images", i, "labels", l);
    };

    private static byte[] File(int magic, int[] dims, Func<int, byte> value)
    {
        int header = 4 + 4 * dims.Length, length = dims.Aggregate(1, (a, d) => a * d);
        var bytes = new byte[header + length];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        for (int k = 0; k < length; k++) bytes[header + k] = value(k);
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(bytes);
        return output.ToArray();
    }
}
