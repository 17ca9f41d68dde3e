using NanoFed.Nets;
using NanoFed.Nets.Data;
using Xunit;

namespace NanoFed.Tests;

public class Cifar10Tests
{
    private static byte[] Records(params byte[] labels)
    {
        var bytes = new byte[labels.Length * Cifar10.RecordBytes];
        for (int i = 0; i < labels.Length; i++)
        {
            bytes[i * Cifar10.RecordBytes] = labels[i];
            for (int p = 0; p < Cifar10.ImageBytes; p++) bytes[i * Cifar10.RecordBytes + 1 + p] = (byte)(i * 7 + p);
        }
        return bytes;
    }

    private static DataFormatException Fails(string path, Action read)
    {
        var e = Assert.Throws<DataFormatException>(read);
        Assert.StartsWith(path + ": ", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Equal(path, e.FilePath);
        return e;
    }

    [Fact]
    public void ReadsRecordsIntoPlanesAndLabels()
    {
        using var dir = new TempDir();
        string path = dir.File("two.bin");
        File.WriteAllBytes(path, Records(3, 9));
        var data = Cifar10.ReadFile(path);
        Assert.Equal(2, data.Count);
        Assert.Equal([3, 9], data.Labels);
        Assert.Equal((3, 32, 32), (data.Channels, data.Height, data.Width));
        Assert.Equal((byte)(7 + 5), data.Image(1)[5]);
        Assert.Equal((byte)(3071 % 256), data.Image(0)[3071]);
    }

    [Fact]
    public void TruncatedRecordIsRejected()
    {
        using var dir = new TempDir();
        string path = dir.File("cut.bin");
        File.WriteAllBytes(path, Records(1, 2)[..(Cifar10.RecordBytes + 100)]);
        var e = Fails(path, () => Cifar10.ReadFile(path));
        Assert.Contains("not a multiple of the 3073-byte record", e.Message);
        Assert.Contains("truncated one of 100 bytes", e.Message);
    }

    [Fact]
    public void LabelOutOfRangeIsRejected()
    {
        using var dir = new TempDir();
        string path = dir.File("label10.bin");
        File.WriteAllBytes(path, Records(0, 10, 1));
        var e = Fails(path, () => Cifar10.ReadFile(path));
        Assert.Contains("record 1 (byte offset 3073) has label 10, outside 0-9", e.Message);
    }

    /// <summary>Found by fuzzing: every file was read through a 3 MB buffer of 1,024 records, even a file of two.</summary>
    [Fact]
    public void SmallFileAllocatesAboutItsOwnSize()
    {
        var bytes = Records(3, 9);
        var stream = new MemoryStream(bytes);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var data = Cifar10.ReadFile("two.bin", stream);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal([3, 9], data.Labels);
        Assert.True(allocated < 2 * bytes.Length + 4096, $"reading {bytes.Length} bytes allocated {allocated}");
    }

    [Fact]
    public void EmptyFileIsRejected()
    {
        using var dir = new TempDir();
        string path = dir.File("empty.bin");
        File.WriteAllBytes(path, []);
        Assert.Contains("file is empty", Fails(path, () => Cifar10.ReadFile(path)).Message);
    }

    [Fact]
    public void MissingTrainingFileIsNamed()
    {
        using var dir = new TempDir();
        File.WriteAllBytes(dir.File("data_batch_1.bin"), Records(1));
        string expected = dir.File("data_batch_2.bin");
        Assert.Contains("file not found", Fails(expected, () => Cifar10.ReadTrain(dir.PathName)).Message);
    }

    [Fact]
    public void MissingTestFileIsNamedUnderTheDatasetFolder()
    {
        using var dir = new TempDir();
        string expected = Path.Combine(dir.PathName, "cifar-10-batches-bin", "test_batch.bin");
        Fails(expected, () => Cifar10.ReadTest(dir.PathName));
    }

    [Fact]
    public void TrainingSetHas5000ImagesPerClass()
    {
        string folder = DataPaths.Cifar10();
        var train = Cifar10.ReadTrain(folder);
        Assert.Equal(50_000, train.Count);
        Assert.All(train.LabelCounts(), n => Assert.Equal(5000, n));
        Assert.Equal(6, train.Labels[0]); // the first image of data_batch_1 is a frog
        Assert.Equal(train.Labels, Cifar10.ReadTrain(Path.GetDirectoryName(folder)!).Labels); // the root works too
    }

    [Fact]
    public void TestSubstitutesAgreeOnLabels()
    {
        string folder = DataPaths.Cifar10();
        var head = Cifar10.ReadTest(folder, "test_batch_head1017.bin");
        var jpeg = Cifar10.ReadTest(folder, "test_batch_jpeg75.bin");
        Assert.Equal(1017, head.Count);
        Assert.Equal(10_000, jpeg.Count);
        Assert.All(jpeg.LabelCounts(), n => Assert.Equal(1000, n));
        Assert.Equal(3, head.Labels[0]); // the first official test image is a cat
        Assert.Equal(head.Labels[0], jpeg.Labels[0]);
        Assert.Equal(head.Labels, jpeg.Labels[..1017]);
        // Same images, one JPEG-decoded: close on average (README: mean absolute error about 5.8/255).
        double error = 0;
        for (int i = 0; i < Cifar10.ImageBytes; i++) error += Math.Abs(head.Image(0)[i] - jpeg.Image(0)[i]);
        Assert.InRange(error / Cifar10.ImageBytes, 0, 20);
    }
}
