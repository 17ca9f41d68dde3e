using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace NanoFed.Nets.Data.Sources;

/// <summary>
/// Downloads a <see cref="DataSource"/> into a data root, verifies it and unpacks it, all or nothing: everything goes
/// into a hidden staging folder beside the target, each download is checked against its publisher's MD5 (where it has one) before it is
/// unpacked, each unpacked file against its size and SHA-256, and only then is the staging folder renamed to the data
/// set's folder. On any fault (network, truncated or corrupted archive, wrong checksum) the staging folder is removed
/// and a <see cref="DataFormatException"/> names the file and the fault. An existing folder is never overwritten.
/// </summary>
public sealed class DataFetcher(HttpClient http)
{
    private readonly HttpClient _http = http ?? throw new ArgumentNullException(nameof(http));

    /// <summary>Told (file name, bytes so far, total bytes if the server said) while a download runs.</summary>
    public Action<string, long, long?>? Progress { get; set; }

    /// <summary>
    /// Fetches <paramref name="source"/> into <paramref name="root"/>/<see cref="DataSource.Folder"/> and returns that
    /// folder. When the folder already passes <see cref="Check"/>, nothing is downloaded.
    /// </summary>
    public async Task<string> FetchAsync(DataSource source, string root, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentException.ThrowIfNullOrEmpty(root);
        string folder = Path.Combine(root, source.Folder);
        if (Directory.Exists(folder))
        {
            var faults = Check(source, folder).Where(c => !c.Ok).ToList();
            if (faults.Count == 0) return folder;
            throw new DataFormatException(folder, $"exists but does not verify ({faults[0].Name}: {faults[0].Detail}); move it away or fetch into another folder");
        }
        Directory.CreateDirectory(root);
        string staging = Path.Combine(root, $".{source.Folder}.partial");
        if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        Directory.CreateDirectory(staging);
        try
        {
            foreach (var download in source.Downloads) await GetAsync(download, staging, cancellation).ConfigureAwait(false);
            CutHead(source, staging);
            var fault = Check(source, staging).FirstOrDefault(c => !c.Ok);
            if (fault is not null) throw new DataFormatException(Path.Combine(folder, fault.Name), fault.Detail);
            Directory.Move(staging, folder);
            return folder;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    /// <summary>
    /// Checks every file <paramref name="source"/> lists in <paramref name="folder"/> (a .gz file by its decompressed
    /// content): present, of the right size, with the right SHA-256 where one is known.
    /// </summary>
    public static IReadOnlyList<FileCheck> Check(DataSource source, string folder)
    {
        ArgumentNullException.ThrowIfNull(source);
        var result = new List<FileCheck>(source.Files.Count);
        foreach (var file in source.Files)
        {
            string plain = Path.Combine(folder, file.Name), gz = plain + ".gz";
            string? path = File.Exists(plain) ? plain : File.Exists(gz) ? gz : null;
            if (path is null)
            {
                result.Add(new FileCheck(file.Name, false, "missing"));
                continue;
            }
            try
            {
                using var stream = Open(path);
                var (bytes, sha) = Hash(stream);
                string? fault = bytes != file.Bytes ? $"{bytes} bytes, expected {file.Bytes}"
                    : file.Sha256 is not null && sha != file.Sha256 ? $"SHA-256 {sha}, expected {file.Sha256}" : null;
                result.Add(new FileCheck(file.Name, fault is null, fault ?? (file.Sha256 is null ? "size verified (no SHA-256 known)" : "SHA-256 verified")));
            }
            catch (InvalidDataException e)
            {
                result.Add(new FileCheck(file.Name, false, $"not valid gzip: {e.Message}"));
            }
        }
        return result;
    }

    private async Task GetAsync(Download download, string staging, CancellationToken cancellation)
    {
        string path = Path.Combine(staging, download.FileName);
        long received = 0;
        long? total;
        using (var md5 = IncrementalHash.CreateHash(HashAlgorithmName.MD5))
        {
            try
            {
                using var response = await _http.GetAsync(download.Url, HttpCompletionOption.ResponseHeadersRead, cancellation).ConfigureAwait(false);
                if (!response.IsSuccessStatusCode)
                    throw new DataFormatException(download.Url.ToString(), $"HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
                total = response.Content.Headers.ContentLength;
                await using var body = await response.Content.ReadAsStreamAsync(cancellation).ConfigureAwait(false);
                await using var file = File.Create(path);
                var buffer = new byte[1 << 16];
                int n;
                while ((n = await body.ReadAsync(buffer, cancellation).ConfigureAwait(false)) > 0)
                {
                    md5.AppendData(buffer, 0, n);
                    await file.WriteAsync(buffer.AsMemory(0, n), cancellation).ConfigureAwait(false);
                    received += n;
                    Progress?.Invoke(download.FileName, received, total);
                }
            }
            catch (HttpRequestException e)
            {
                throw new DataFormatException(download.Url.ToString(), $"download failed after {received} bytes: {e.Message}");
            }
            catch (IOException e) when (e is not FileNotFoundException)
            {
                throw new DataFormatException(download.Url.ToString(), $"download broke off after {received} bytes: {e.Message}");
            }
            if (total is { } expected && received != expected)
                throw new DataFormatException(download.Url.ToString(), $"truncated: {received} of {expected} bytes");
            string md5Hex = Convert.ToHexStringLower(md5.GetHashAndReset());
            if (download.Md5 is not null && md5Hex != download.Md5)
                throw new DataFormatException(download.Url.ToString(), $"MD5 {md5Hex}, expected {download.Md5} (corrupted or truncated download)");
        }
        if (download.Kind == ArchiveKind.TarGz) Untar(path, staging, download);
    }

    private static void Untar(string archive, string staging, Download download)
    {
        try
        {
            using (var gzip = new GZipStream(File.OpenRead(archive), CompressionMode.Decompress))
            using (var tar = new TarReader(gzip))
            {
                while (tar.GetNextEntry() is { } entry)
                {
                    // Only regular files, and only by their last path component: a hostile archive cannot write outside
                    // the staging folder.
                    if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile) || entry.DataStream is null) continue;
                    string name = Path.GetFileName(entry.Name);
                    if (name.Length == 0 || name.StartsWith('.')) continue;
                    using var file = File.Create(Path.Combine(staging, name));
                    entry.DataStream.CopyTo(file);
                }
            }
        }
        catch (Exception e) when (e is InvalidDataException or EndOfStreamException or FormatException)
        {
            throw new DataFormatException(download.FileName, $"archive cannot be unpacked: {e.Message}");
        }
        File.Delete(archive);
    }

    /// <summary>Cuts test_batch_head1017.bin from test_batch.bin when the source lists both.</summary>
    private static void CutHead(DataSource source, string staging)
    {
        if (!source.Files.Any(f => f.Name == KnownDataSources.Head1017)) return;
        string test = Path.Combine(staging, Data.Cifar10.TestFile);
        if (!File.Exists(test)) return;
        var head = new byte[1017 * Data.Cifar10.RecordBytes];
        using (var input = File.OpenRead(test))
            if (input.ReadAtLeast(head, head.Length, throwOnEndOfStream: false) != head.Length) return;
        File.WriteAllBytes(Path.Combine(staging, KnownDataSources.Head1017), head);
    }

    private static Stream Open(string path) =>
        path.EndsWith(".gz", StringComparison.Ordinal) ? new GZipStream(File.OpenRead(path), CompressionMode.Decompress) : File.OpenRead(path);

    private static (long Bytes, string Sha256) Hash(Stream stream)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = new byte[1 << 16];
        long bytes = 0;
        int n;
        while ((n = stream.Read(buffer)) > 0)
        {
            sha.AppendData(buffer, 0, n);
            bytes += n;
        }
        return (bytes, Convert.ToHexStringLower(sha.GetHashAndReset()));
    }
}

/// <summary>The outcome of checking one file: its name, whether it passed, and what was found.</summary>
/// <param name="Name">The file's name in the data set's folder.</param>
/// <param name="Ok">Whether it is present and matches.</param>
/// <param name="Detail">What was verified, or what is wrong.</param>
public sealed record FileCheck(string Name, bool Ok, string Detail);
