namespace NanoFed.Nets.Data;

/// <summary>
/// Fashion-MNIST (and MNIST, which shares the layout and file names) as IDX files: train-images-idx3-ubyte,
/// train-labels-idx1-ubyte, t10k-images-idx3-ubyte and t10k-labels-idx1-ubyte, each plain or with a .gz
/// suffix. 60,000 training and 10,000 test images of 1 x 28 x 28, ten classes.
/// </summary>
public static class FashionMnist
{
    /// <summary>The folder name inside a data root.</summary>
    public const string FolderName = "fashion-mnist";

    /// <summary>The 60,000 training images under <paramref name="root"/> or root/fashion-mnist.</summary>
    public static ImageDataset ReadTrain(string root) => ReadSplit(root, "train");

    /// <summary>The 10,000 test images under <paramref name="root"/> or root/fashion-mnist.</summary>
    public static ImageDataset ReadTest(string root) => ReadSplit(root, "t10k");

    private static ImageDataset ReadSplit(string root, string prefix)
    {
        ArgumentNullException.ThrowIfNull(root);
        string folder = Directory.Exists(Path.Combine(root, FolderName)) ? Path.Combine(root, FolderName) : root;
        string images = Find(folder, prefix + "-images-idx3-ubyte");
        var data = Idx.Read(images, Find(folder, prefix + "-labels-idx1-ubyte"));
        // Models built for Fashion-MNIST size their linear layers for 28x28 inputs; other sizes would fail deep inside them.
        if (data.Height != Side || data.Width != Side)
            throw new DataFormatException(images, $"images are {data.Height}x{data.Width}, Fashion-MNIST's are {Side}x{Side}");
        return data;
    }

    /// <summary>Height and width of every image.</summary>
    public const int Side = 28;

    /// <summary>The plain file if it exists, else the .gz one (named in the error when neither does).</summary>
    private static string Find(string folder, string name)
    {
        string plain = Path.Combine(folder, name);
        if (File.Exists(plain)) return plain;
        string gz = plain + ".gz";
        if (File.Exists(gz)) return gz;
        throw new DataFormatException(gz, $"file not found (nor {name} without .gz); {DataRoot.FetchHint}, or on Debian `apt-get install dataset-fashion-mnist` and --data /usr/share/datasets");
    }
}
