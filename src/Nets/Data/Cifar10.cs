namespace NanoFed.Nets.Data;

/// <summary>
/// Reader of the official CIFAR-10 binary layout: records of 3073 bytes, one label byte (0-9) then 1024 R,
/// 1024 G and 1024 B bytes, each plane 32x32 row-major; no header. Training is data_batch_1.bin ..
/// data_batch_5.bin; the test file is chosen by name (test_batch.bin, or a substitute such as
/// test_batch_head1017.bin or test_batch_jpeg75.bin).
/// </summary>
public static class Cifar10
{
    /// <summary>Bytes per record: the label byte and 3 x 32 x 32 pixels.</summary>
    public const int RecordBytes = 1 + ImageBytes;

    /// <summary>Bytes per image (C, H, W) = (3, 32, 32).</summary>
    public const int ImageBytes = 3 * 32 * 32;

    /// <summary>Number of classes.</summary>
    public const int Classes = 10;

    /// <summary>The folder name of the binary version inside a data root.</summary>
    public const string FolderName = "cifar-10-batches-bin";

    /// <summary>The official test file name.</summary>
    public const string TestFile = "test_batch.bin";

    /// <summary>The five training files, in order.</summary>
    public static IReadOnlyList<string> TrainFiles { get; } =
        ["data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin"];

    /// <summary>Per-channel (R, G, B) mean and standard deviation of the training images, scaled to [0, 1].</summary>
    public static Normalization Normalization { get; } = new([0.4914f, 0.4822f, 0.4465f], [0.2470f, 0.2435f, 0.2616f]);

    /// <summary>
    /// The folder holding the binary files: <paramref name="root"/> itself when it holds data_batch_1.bin or
    /// any test_batch*.bin, else root/cifar-10-batches-bin.
    /// </summary>
    public static string Folder(string root)
    {
        ArgumentNullException.ThrowIfNull(root);
        if (File.Exists(Path.Combine(root, TrainFiles[0])) ||
            (Directory.Exists(root) && Directory.EnumerateFiles(root, "test_batch*.bin").Any()))
            return root;
        return Path.Combine(root, FolderName);
    }

    /// <summary>The 50,000 training images of data_batch_1..5.bin under <paramref name="root"/> (see <see cref="Folder"/>).</summary>
    public static ImageDataset ReadTrain(string root)
    {
        string folder = Folder(root);
        return ReadFiles(TrainFiles.Select(f => Path.Combine(folder, f)).ToArray());
    }

    /// <summary>The test images of <paramref name="fileName"/> under <paramref name="root"/> (see <see cref="Folder"/>).</summary>
    public static ImageDataset ReadTest(string root, string fileName = TestFile) =>
        ReadFile(Path.Combine(Folder(root), fileName));

    /// <summary>Reads one file of records.</summary>
    public static ImageDataset ReadFile(string path) => ReadFiles([path]);

    /// <summary><see cref="ReadFile(string)"/> on an open seekable stream positioned at its start; errors name <paramref name="path"/>.</summary>
    internal static ImageDataset ReadFile(string path, Stream stream)
    {
        int count = CountRecords(path, stream.Length);
        var pixels = new byte[(long)count * ImageBytes];
        var labels = new int[count];
        ReadRecords(path, stream, count, pixels, labels);
        return new ImageDataset(pixels, labels, 3, 32, 32, Classes);
    }

    /// <summary>Reads several files of records into one dataset, in order.</summary>
    public static ImageDataset ReadFiles(IReadOnlyList<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        var counts = new int[paths.Count];
        long total = 0;
        for (int f = 0; f < paths.Count; f++)
        {
            counts[f] = CountRecords(paths[f]);
            total += counts[f];
        }
        if (total * ImageBytes > Array.MaxLength)
            throw new ArgumentException($"{total} images do not fit one array", nameof(paths));
        var pixels = new byte[total * ImageBytes];
        var labels = new int[total];
        int first = 0;
        for (int f = 0; f < paths.Count; f++)
        {
            using var stream = new FileStream(paths[f], FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);
            ReadRecords(paths[f], stream, counts[f], pixels.AsSpan(first * ImageBytes, counts[f] * ImageBytes), labels.AsSpan(first, counts[f]));
            first += counts[f];
        }
        return new ImageDataset(pixels, labels, 3, 32, 32, Classes);
    }

    private static int CountRecords(string path)
    {
        if (!File.Exists(path) && !Directory.Exists(path)) throw new DataFormatException(path, $"file not found ({DataRoot.FetchHint})");
        return CountRecords(path, DataFile.Length(path));
    }

    private static int CountRecords(string path, long length)
    {
        if (length == 0) throw new DataFormatException(path, "file is empty (expected records of 3073 bytes)");
        if (length % RecordBytes != 0)
            throw new DataFormatException(path,
                $"size {length} bytes is not a multiple of the {RecordBytes}-byte record: " +
                $"{length / RecordBytes} whole records, then a truncated one of {length % RecordBytes} bytes");
        if (length / RecordBytes > int.MaxValue)
            throw new DataFormatException(path, $"holds {length / RecordBytes} records, more than one dataset can index");
        return (int)(length / RecordBytes);
    }

    private static void ReadRecords(string path, Stream stream, int count, Span<byte> pixels, Span<int> labels)
    {
        const int chunkRecords = 1024;
        var buffer = new byte[Math.Min(chunkRecords, count) * RecordBytes];
        for (int start = 0; start < count; start += chunkRecords)
        {
            int n = Math.Min(chunkRecords, count - start);
            int got = stream.ReadAtLeast(buffer.AsSpan(0, n * RecordBytes), n * RecordBytes, throwOnEndOfStream: false);
            if (got < n * RecordBytes)
                throw new DataFormatException(path, $"truncated while reading record {start + got / RecordBytes} (the file shrank while being read)");
            for (int i = 0; i < n; i++)
            {
                var record = buffer.AsSpan(i * RecordBytes, RecordBytes);
                int label = record[0];
                if (label >= Classes)
                    throw new DataFormatException(path, $"record {start + i} (byte offset {(long)(start + i) * RecordBytes}) has label {label}, outside 0-9");
                labels[start + i] = label;
                record[1..].CopyTo(pixels.Slice((start + i) * ImageBytes, ImageBytes));
            }
        }
    }
}
