using System.Buffers.Binary;
using System.IO.Compression;

namespace NanoFed.Nets.Data;

/// <summary>
/// Reader of the IDX layout of MNIST and Fashion-MNIST, plain or gzip-compressed (detected by the gzip magic
/// 1f 8b). An IDX file is a 4-byte magic 00 00 08 r (unsigned bytes, rank r), r big-endian int32 dimensions,
/// then the bytes: images have magic 0x00000803 and dimensions (N, H, W), labels 0x00000801 and (N).
/// </summary>
public static class Idx
{
    /// <summary>Magic of an image file: unsigned bytes, rank 3.</summary>
    public const int ImagesMagic = 0x00000803;

    /// <summary>Magic of a label file: unsigned bytes, rank 1.</summary>
    public const int LabelsMagic = 0x00000801;

    /// <summary>Reads an image file and its label file into a one-channel dataset with labels in [0, <paramref name="classes"/>).</summary>
    public static ImageDataset Read(string imagesPath, string labelsPath, int classes = 10)
    {
        var images = ReadFile(imagesPath, ImagesMagic);
        return Pair(imagesPath, images, labelsPath, ReadFile(labelsPath, LabelsMagic), classes);
    }

    /// <summary><see cref="Read(string, string, int)"/> on open seekable streams positioned at their starts; errors name the paths.</summary>
    internal static ImageDataset Read(string imagesPath, Stream images, string labelsPath, Stream labels, int classes = 10)
    {
        var imageFile = ReadFile(imagesPath, images, ImagesMagic);
        return Pair(imagesPath, imageFile, labelsPath, ReadFile(labelsPath, labels, LabelsMagic), classes);
    }

    private static ImageDataset Pair(string imagesPath, (int[] Dims, byte[] Data) images, string labelsPath, (int[] Dims, byte[] Data) labelFile, int classes)
    {
        var (imageDims, pixels) = images;
        var (labelDims, labelBytes) = labelFile;
        if (imageDims[0] != labelDims[0])
            throw new DataFormatException(labelsPath, $"holds {labelDims[0]} labels but {Path.GetFileName(imagesPath)} holds {imageDims[0]} images");
        var labels = new int[labelBytes.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            labels[i] = labelBytes[i];
            if (labels[i] >= classes)
                throw new DataFormatException(labelsPath, $"label {i} is {labels[i]}, outside 0-{classes - 1}");
        }
        return new ImageDataset(pixels, labels, 1, imageDims[1], imageDims[2], classes);
    }

    /// <summary>Reads one IDX file of unsigned bytes whose magic must be <paramref name="magic"/>: its dimensions and data.</summary>
    public static (int[] Dims, byte[] Data) ReadFile(string path, int magic)
    {
        using var file = DataFile.Open(path);
        return ReadFile(path, file, magic);
    }

    /// <summary><see cref="ReadFile(string, int)"/> on an open seekable stream positioned at its start; errors name <paramref name="path"/>.</summary>
    internal static (int[] Dims, byte[] Data) ReadFile(string path, Stream file, int magic)
    {
        try
        {
            bool gzip = IsGzip(file);
            using Stream stream = gzip ? new GZipStream(file, CompressionMode.Decompress, leaveOpen: true) : file;
            return ReadStream(path, stream, magic, gzip);
        }
        catch (InvalidDataException e)
        {
            throw new DataFormatException(path, $"corrupt gzip stream ({e.Message})", e);
        }
    }

    private static bool IsGzip(Stream file)
    {
        Span<byte> head = stackalloc byte[2];
        int got = file.ReadAtLeast(head, 2, throwOnEndOfStream: false);
        file.Position = 0;
        return got == 2 && head[0] == 0x1f && head[1] == 0x8b;
    }

    private static (int[] Dims, byte[] Data) ReadStream(string path, Stream stream, int magic, bool gzip)
    {
        string what = gzip ? "decompressed data" : "file";
        Span<byte> word = stackalloc byte[4];
        if (stream.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
            throw new DataFormatException(path, $"{what} is shorter than the 4-byte IDX magic");
        int found = BinaryPrimitives.ReadInt32BigEndian(word);
        if (found != magic)
            throw new DataFormatException(path, $"IDX magic is 0x{found:x8}, expected 0x{magic:x8} ({(magic == ImagesMagic ? "images" : "labels")})");
        int rank = magic & 0xff;
        var dims = new int[rank];
        long length = 1;
        for (int d = 0; d < rank; d++)
        {
            if (stream.ReadAtLeast(word, 4, throwOnEndOfStream: false) < 4)
                throw new DataFormatException(path, $"{what} ends inside the header (dimension {d} of {rank})");
            dims[d] = BinaryPrimitives.ReadInt32BigEndian(word);
            if (dims[d] < 0) throw new DataFormatException(path, $"dimension {d} is negative ({dims[d]})");
            length *= dims[d];
            if (length > Array.MaxLength)
                throw new DataFormatException(path, $"dimensions [{string.Join(", ", dims[..(d + 1)])}] hold more bytes than one array can");
        }
        string shape = "[" + string.Join(", ", dims) + "]";
        string items = magic == ImagesMagic ? "images" : "labels";
        if (dims[0] == 0) throw new DataFormatException(path, $"holds no {items} (dimensions {shape})");
        if (magic == ImagesMagic && (dims[1] == 0 || dims[2] == 0))
            throw new DataFormatException(path, $"images of {dims[1]}x{dims[2]} pixels hold no data (dimensions {shape})");
        var data = ReadData(path, stream, length, gzip ? MaxFirstChunk : stream.Length - stream.Position, shape, what);
        long extra = 0;
        Span<byte> sink = stackalloc byte[512];
        for (int n; (n = stream.Read(sink)) > 0;) extra += n;
        if (extra > 0)
            throw new DataFormatException(path, $"dimensions {shape} need {length} data bytes but the {what} holds {length + extra}");
        return (dims, data);
    }

    /// <summary>First buffer of a gzip stream's data, whose length is unknown until it has been decompressed.</summary>
    private const int MaxFirstChunk = 1 << 16;

    /// <summary>
    /// Reads the <paramref name="length"/> data bytes the header declares into an array grown (doubling from the
    /// smaller of the length and <paramref name="available"/>) only as the bytes arrive, so a header that claims
    /// gigabytes in a small or compressed file costs at most twice what the file really holds, never the claim.
    /// </summary>
    private static byte[] ReadData(string path, Stream stream, long length, long available, string shape, string what)
    {
        if (length == 0) return [];
        var data = new byte[Math.Clamp(available, 1, length)];
        long got = 0;
        while (true)
        {
            got += stream.ReadAtLeast(data.AsSpan((int)got), data.Length - (int)got, throwOnEndOfStream: false);
            if (got < data.Length)
                throw new DataFormatException(path, $"dimensions {shape} need {length} data bytes but the {what} holds {got}");
            if (got == length) return data;
            Array.Resize(ref data, (int)Math.Min(length, 2L * data.Length));
        }
    }
}
