namespace NanoFed.Nets.Data.Sources;

/// <summary>How a downloaded file is turned into the data set's files.</summary>
public enum ArchiveKind
{
    /// <summary>A gzip-compressed tar archive; only the listed members are extracted.</summary>
    TarGz,

    /// <summary>One gzip-compressed file, kept compressed (the readers accept .gz); its decompressed content is checked.</summary>
    Gzip,
}

/// <summary>One file a download brings: its URL, the checksum its publisher gives, and where it goes.</summary>
/// <param name="Url">Where to get it.</param>
/// <param name="FileName">The name it is saved under, inside the data set's folder (a .tar.gz is not kept).</param>
/// <param name="Kind">How it is unpacked.</param>
/// <param name="Md5">The MD5 its publisher gives, lower-case hex (the archive is checked against it before anything is
/// unpacked), or null for an archive whose bytes are not fixed (a mirror's); the unpacked files are then checked by
/// SHA-256 (<see cref="SourceFile"/>).</param>
public sealed record Download(Uri Url, string FileName, ArchiveKind Kind, string? Md5);

/// <summary>A file of a data set as it sits on disk, with the size and SHA-256 of its (decompressed) content.</summary>
/// <param name="Name">The file name inside the data set's folder (for a .gz file, the name without .gz).</param>
/// <param name="Bytes">Content size in bytes.</param>
/// <param name="Sha256">SHA-256 of the content, lower-case hex; null where no published or measured hash is known.</param>
public sealed record SourceFile(string Name, long Bytes, string? Sha256);

/// <summary>
/// A data set that <see cref="DataFetcher"/> can download, verify and unpack under a data root: its folder name,
/// the downloads, and the files the folder must then hold.
/// </summary>
/// <param name="Name">The name the CLI uses (cifar10, fashion-mnist).</param>
/// <param name="Folder">The folder inside the data root.</param>
/// <param name="Downloads">What to download.</param>
/// <param name="Files">What the folder holds afterwards, each checked by size and, where known, SHA-256.</param>
/// <param name="Licence">Who publishes it, and on what terms; printed after a fetch.</param>
public sealed record DataSource(string Name, string Folder, IReadOnlyList<Download> Downloads, IReadOnlyList<SourceFile> Files, string Licence)
{
    /// <summary>
    /// This source fetched from <paramref name="folder"/> (an http or https folder holding the archives under their file
    /// names). Where every file's SHA-256 is known, the archives' MD5 is dropped, since a mirror may recompress them
    /// (Debian's dataset-fashion-mnist does) and the content is checked anyway; otherwise the MD5 stays.
    /// </summary>
    public DataSource Mirrored(Uri folder)
    {
        ArgumentNullException.ThrowIfNull(folder);
        if (!folder.IsAbsoluteUri || (folder.Scheme != Uri.UriSchemeHttp && folder.Scheme != Uri.UriSchemeHttps))
            throw new ArgumentException($"mirror '{folder}' is not an http or https address", nameof(folder));
        // Without the trailing slash, a relative file name would replace the folder's last segment.
        var baseUrl = folder.AbsoluteUri.EndsWith('/') ? folder : new Uri(folder.AbsoluteUri + "/");
        bool contentKnown = Files.All(f => f.Sha256 is not null);
        return this with { Downloads = [.. Downloads.Select(d => d with { Url = new Uri(baseUrl, d.FileName), Md5 = contentKnown ? null : d.Md5 })] };
    }
}
