namespace NanoFed.Nets;

/// <summary>Opens a data or checkpoint file for reading, refusing what would hang or cannot be a file.</summary>
public static class DataFile
{
    /// <summary>
    /// Opens <paramref name="path"/> for one sequential read, or throws <see cref="DataFormatException"/> as
    /// <see cref="Length"/> does.
    /// </summary>
    public static FileStream Open(string path)
    {
        Length(path);
        return new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
    }

    /// <summary>
    /// The size of <paramref name="path"/> in bytes, or a <see cref="DataFormatException"/> when it does not exist, is a
    /// folder or is empty. Readers check this before opening: a FIFO (or a device) reports 0 bytes, and opening a FIFO
    /// blocks until something writes into it, so a FIFO given as a checkpoint used to hang the reader.
    /// </summary>
    public static long Length(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var info = new FileInfo(path);
        if (!info.Exists) throw new DataFormatException(path, Directory.Exists(path) ? "is a folder, not a file" : "file not found");
        if (info.Length == 0) throw new DataFormatException(path, "file is empty, or not a regular file (a FIFO or device has no size)");
        return info.Length;
    }
}
