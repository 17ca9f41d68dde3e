using NanoFed.Nets.Data;

namespace NanoFed.Federation.Experiments;

/// <summary>The data of a run: the training set and the named test sets of a dataset under a data root, with errors that name the option a user gave (--data, --test-files, --model).</summary>
public static class ExperimentData
{
    /// <summary>CIFAR-10 test files used when --test-files is not given: those present, else test_batch.bin.</summary>
    private static readonly string[] DefaultCifarTests = ["test_batch_head1017.bin", "test_batch_jpeg75.bin"];

    /// <summary>The data root from --data or NANOFED_DATA, with the option named in the error.</summary>
    public static string Root(string? option)
    {
        try
        {
            return DataRoot.Resolve(option);
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--data: {e.Message.Replace(" (Parameter 'option')", "", StringComparison.Ordinal)}");
        }
    }

    /// <summary>The file of a fl or gossip run folder that records where its data was read (key "data-root").</summary>
    public const string DataRecordFile = "data.json";

    /// <summary>
    /// The data root that the run in <paramref name="folder"/> recorded (<see cref="DataRecordFile"/>'s "data-root"), or null
    /// when it records none; a resumed run reads its data there unless --data says otherwise.
    /// </summary>
    public static string? RecordedRoot(string folder)
    {
        string path = Path.Combine(folder, DataRecordFile);
        if (!File.Exists(path)) return null;
        try
        {
            using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(path));
            return doc.RootElement.TryGetProperty("data-root", out var root) && root.ValueKind == System.Text.Json.JsonValueKind.String ? root.GetString() : null;
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new Nets.DataFormatException(path, $"not valid JSON ({e.Message.ReplaceLineEndings(" ")})", e);
        }
    }

    /// <summary>Writes <see cref="DataRecordFile"/> in <paramref name="folder"/> holding only the full path of <paramref name="root"/>.</summary>
    public static void RecordRoot(string folder, string root)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        using (var json = new System.Text.Json.Utf8JsonWriter(buffer, new System.Text.Json.JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("data-root", Path.GetFullPath(root));
            json.WriteEndObject();
        }
        Nets.Checkpoints.AtomicFile.WriteAllText(Path.Combine(folder, DataRecordFile), System.Text.Encoding.UTF8.GetString(buffer.WrittenSpan) + "\n");
    }

    /// <summary>The START:END value of <paramref name="option"/>, with the option named in the error.</summary>
    public static (int Start, int End) Range(string option, string text)
    {
        try
        {
            return Nets.Training.TrainingConfig.ParseRange(text);
        }
        catch (FormatException e)
        {
            throw new ArgumentException($"{option}: {e.Message}");
        }
    }

    /// <summary>The training images of <paramref name="dataset"/>.</summary>
    public static ImageDataset Train(string dataset, string root) =>
        dataset == "cifar10" ? Cifar10.ReadTrain(root) : FashionMnist.ReadTrain(root);

    /// <summary>The test sets of <paramref name="dataset"/>, named by file (CIFAR-10) or "t10k" (Fashion-MNIST).</summary>
    public static List<(string Name, ImageDataset Data)> Tests(string dataset, string root, string? testFiles)
    {
        if (dataset != "cifar10")
        {
            if (!string.IsNullOrEmpty(testFiles)) throw new ArgumentException("--test-files applies to cifar10 only");
            return [("t10k", FashionMnist.ReadTest(root))];
        }
        string folder = Cifar10.Folder(root);
        return TestFileNames(dataset, root, testFiles)
            .Select(n => (Path.GetFileNameWithoutExtension(n), Cifar10.ReadFile(Path.IsPathRooted(n) ? n : Path.Combine(folder, n)))).ToList();
    }

    /// <summary>The CIFAR-10 test files to evaluate: those of --test-files, else the defaults present, else test_batch.bin.</summary>
    public static string[] TestFileNames(string dataset, string root, string? testFiles)
    {
        if (dataset != "cifar10") return [];
        if (!string.IsNullOrEmpty(testFiles))
        {
            string[] names = testFiles.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            return names.Length > 0 ? names : throw new ArgumentException($"--test-files names no file (got '{testFiles}')");
        }
        string folder = Cifar10.Folder(root);
        string[] present = DefaultCifarTests.Where(f => File.Exists(Path.Combine(folder, f))).ToArray();
        return present.Length > 0 ? present : [Cifar10.TestFile];
    }

    /// <summary>Checks that the model fits the dataset's image size.</summary>
    public static void CheckModelFits(string model, string dataset)
    {
        bool grey = Nets.Training.ModelCatalog.IsGrey(model);
        if (grey && dataset != "fashion-mnist") throw new ArgumentException($"--model {model} takes 28x28 grey images: use --dataset fashion-mnist");
        if (!grey && dataset != "cifar10") throw new ArgumentException($"--model {model} takes 32x32 colour images: use --dataset cifar10");
    }
}
