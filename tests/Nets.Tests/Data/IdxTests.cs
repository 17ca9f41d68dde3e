using System.Buffers.Binary;
using System.IO.Compression;
using NanoFed.Nets;
using NanoFed.Nets.Data;
using Xunit;

namespace NanoFed.Tests;

public class IdxTests
{
    private static byte[] IdxFile(int magic, int[] dims, int dataBytes, Func<int, byte>? value = null)
    {
        var bytes = new byte[4 + 4 * dims.Length + dataBytes];
        BinaryPrimitives.WriteInt32BigEndian(bytes, magic);
        for (int d = 0; d < dims.Length; d++) BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4 + 4 * d), dims[d]);
        for (int i = 0; i < dataBytes; i++) bytes[4 + 4 * dims.Length + i] = value?.Invoke(i) ?? (byte)i;
        return bytes;
    }

    private static byte[] Gzip(byte[] bytes)
    {
        using var output = new MemoryStream();
        using (var gz = new GZipStream(output, CompressionLevel.Fastest)) gz.Write(bytes);
        return output.ToArray();
    }

    private static DataFormatException Fails(string path, Action read)
    {
        var e = Assert.Throws<DataFormatException>(read);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        return e;
    }

    private static (string Images, string Labels) Write(TempDir dir, byte[] images, byte[] labels, bool gzip)
    {
        string i = dir.File("images" + (gzip ? ".gz" : "")), l = dir.File("labels" + (gzip ? ".gz" : ""));
        File.WriteAllBytes(i, gzip ? Gzip(images) : images);
        File.WriteAllBytes(l, gzip ? Gzip(labels) : labels);
        return (i, l);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ReadsImagesAndLabels(bool gzip)
    {
        using var dir = new TempDir();
        var (i, l) = Write(dir, IdxFile(Idx.ImagesMagic, [3, 2, 5], 30), IdxFile(Idx.LabelsMagic, [3], 3, k => (byte)(9 - k)), gzip);
        var data = Idx.Read(i, l);
        Assert.Equal(3, data.Count);
        Assert.Equal((1, 2, 5), (data.Channels, data.Height, data.Width));
        Assert.Equal([9, 8, 7], data.Labels);
        Assert.Equal(17, data.Image(1)[7]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void WrongMagicIsRejected(bool gzip)
    {
        using var dir = new TempDir();
        var (i, l) = Write(dir, IdxFile(Idx.LabelsMagic, [3], 3), IdxFile(Idx.LabelsMagic, [3], 3), gzip);
        Assert.Contains("IDX magic is 0x00000801, expected 0x00000803 (images)", Fails(i, () => Idx.Read(i, l)).Message);
    }

    [Theory]
    [InlineData(29, "need 30 data bytes but the file holds 29")]
    [InlineData(31, "need 30 data bytes but the file holds 31")]
    public void DimensionsInconsistentWithLengthAreRejected(int dataBytes, string fault)
    {
        using var dir = new TempDir();
        var (i, l) = Write(dir, IdxFile(Idx.ImagesMagic, [3, 2, 5], dataBytes), IdxFile(Idx.LabelsMagic, [3], 3), false);
        Assert.Contains("dimensions [3, 2, 5] " + fault, Fails(i, () => Idx.Read(i, l)).Message);
    }

    [Fact]
    public void CountMismatchIsRejected()
    {
        using var dir = new TempDir();
        var (i, l) = Write(dir, IdxFile(Idx.ImagesMagic, [3, 2, 5], 30), IdxFile(Idx.LabelsMagic, [4], 4), true);
        Assert.Contains("holds 4 labels but images.gz holds 3 images", Fails(l, () => Idx.Read(i, l)).Message);
    }

    [Fact]
    public void LabelOutOfRangeIsRejected()
    {
        using var dir = new TempDir();
        var (i, l) = Write(dir, IdxFile(Idx.ImagesMagic, [2, 1, 1], 2), IdxFile(Idx.LabelsMagic, [2], 2, k => (byte)(10 * k)), false);
        Assert.Contains("label 1 is 10, outside 0-9", Fails(l, () => Idx.Read(i, l)).Message);
    }

    [Fact]
    public void CorruptGzipIsRejected()
    {
        using var dir = new TempDir();
        string path = dir.File("bad.gz");
        var bytes = Gzip(IdxFile(Idx.ImagesMagic, [3, 2, 5], 30));
        for (int k = 12; k < bytes.Length - 8; k++) bytes[k] ^= 0x5a;
        File.WriteAllBytes(path, bytes);
        Assert.Contains("corrupt gzip stream", Fails(path, () => Idx.ReadFile(path, Idx.ImagesMagic)).Message);
    }

    [Fact]
    public void ShortHeaderAndMissingFileAreRejected()
    {
        using var dir = new TempDir();
        string path = dir.File("short");
        File.WriteAllBytes(path, [0, 0, 8, 3, 0, 0]);
        Assert.Contains("ends inside the header", Fails(path, () => Idx.ReadFile(path, Idx.ImagesMagic)).Message);
        string missing = dir.File("nothing");
        Assert.Contains("file not found", Fails(missing, () => Idx.ReadFile(missing, Idx.ImagesMagic)).Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ZeroImagesAreRefused(bool gzip)
    {
        using var dir = new TempDir();
        var (i, l) = Write(dir, IdxFile(Idx.ImagesMagic, [0, 28, 28], 0), IdxFile(Idx.LabelsMagic, [0], 0), gzip);
        Assert.Contains("holds no images (dimensions [0, 28, 28])", Fails(i, () => Idx.Read(i, l)).Message);
    }

    /// <summary>Found by fuzzing: an image width of 0 reached ImageDataset, which threw ArgumentException.</summary>
    [Fact]
    public void EmptyImagesAreRefused()
    {
        using var dir = new TempDir();
        var (i, l) = Write(dir, IdxFile(Idx.ImagesMagic, [3, 2, 0], 0), IdxFile(Idx.LabelsMagic, [3], 3), false);
        Assert.Contains("images of 2x0 pixels hold no data", Fails(i, () => Idx.Read(i, l)).Message);
    }

    /// <summary>
    /// Found by fuzzing: the data array was allocated at the header's size before any data arrived, so a 71-byte
    /// gzip file whose dimensions claim 1.3 GB allocated 1.3 GB. Now the array grows with the data that arrives.
    /// </summary>
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void HugeDimensionsAllocateOnlyWhatTheFileHolds(bool gzip)
    {
        using var dir = new TempDir();
        string path = dir.File(gzip ? "huge.gz" : "huge");
        var bytes = IdxFile(Idx.ImagesMagic, [20_000, 256, 256], 1000);
        File.WriteAllBytes(path, gzip ? Gzip(bytes) : bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        Assert.Contains("need 1310720000 data bytes but the " + (gzip ? "decompressed data" : "file") + " holds 1000",
            Fails(path, () => Idx.ReadFile(path, Idx.ImagesMagic)).Message);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 1 << 20, $"reading a {bytes.Length}-byte file that claims 1.3 GB allocated {allocated} bytes");
    }
}
