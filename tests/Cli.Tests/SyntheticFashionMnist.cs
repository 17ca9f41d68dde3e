using System.Buffers.Binary;

namespace NanoFed.Tests.Cli;

/// <summary>
/// A tiny synthetic data set in Fashion-MNIST's file format (600 training and 200 test images of 28x28, ten classes,
/// each class a brighter band at its own rows over noise), so that command tests run in about a second.
/// </summary>
internal static class SyntheticFashionMnist
{
    /// <summary>Training images in the set.</summary>
    public const int TrainCount = 600;

    /// <summary>
    /// Writes root/fashion-mnist/{train,t10k}-{images-idx3,labels-idx1}-ubyte: <paramref name="train"/> training images
    /// (default <see cref="TrainCount"/>), of <paramref name="side"/> x side pixels (bad input for other sides than 28).
    /// </summary>
    public static void Write(string root, int train = TrainCount, int side = 28)
    {
        string folder = Directory.CreateDirectory(Path.Combine(root, "fashion-mnist")).FullName;
        WriteIdx(folder, "train", train, 1, side);
        WriteIdx(folder, "t10k", 200, 2, side);
    }

    private static void WriteIdx(string folder, string prefix, int n, ulong seed, int side)
    {
        var rng = new RngStream(seed, 0);
        var images = new byte[16 + n * side * side];
        var labels = new byte[8 + n];
        BinaryPrimitives.WriteInt32BigEndian(images, 0x803);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(4), n);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(8), side);
        BinaryPrimitives.WriteInt32BigEndian(images.AsSpan(12), side);
        BinaryPrimitives.WriteInt32BigEndian(labels, 0x801);
        BinaryPrimitives.WriteInt32BigEndian(labels.AsSpan(4), n);
        for (int i = 0; i < n; i++)
        {
            int label = rng.NextInt(10);
            labels[8 + i] = (byte)label;
            for (int p = 0; p < side * side; p++)
                images[16 + i * side * side + p] = (byte)(rng.NextInt(96) + (p / side / 3 == label ? 150 : 0));
        }
        File.WriteAllBytes(Path.Combine(folder, $"{prefix}-images-idx3-ubyte"), images);
        File.WriteAllBytes(Path.Combine(folder, $"{prefix}-labels-idx1-ubyte"), labels);
    }
}
