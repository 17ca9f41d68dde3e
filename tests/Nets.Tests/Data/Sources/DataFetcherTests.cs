using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;
using NanoFed.Nets;
using NanoFed.Nets.Data.Sources;
using Xunit;

namespace NanoFed.Tests.Data.Sources;

/// <summary>
/// <see cref="DataFetcher"/> against a local HTTP server on 127.0.0.1 that serves generated archives: a good one, a
/// corrupted one (one byte flipped), one truncated in flight, and a gzip file.
/// </summary>
public sealed class DataFetcherTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("nanofed-fetch-").FullName;
    private readonly LocalHttpServer _server = new();
    private readonly byte[] _a = RandomBytes(70_000, 1), _b = RandomBytes(333, 2);

    public void Dispose()
    {
        _server.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    [Fact]
    public async Task AGoodArchiveIsVerifiedUnpackedAndNotFetchedTwice()
    {
        byte[] archive = TarGz(("set/a.bin", _a), ("set/b.txt", _b), ("set/extra.bin", [1, 2, 3]));
        var source = Source(_server.Serve("/good.tar.gz", archive), Md5(archive));
        using var http = new HttpClient();
        string folder = await new DataFetcher(http).FetchAsync(source, _root, TestContext.Current.CancellationToken);
        Assert.Equal(Path.Combine(_root, "set"), folder);
        Assert.Equal(_a, File.ReadAllBytes(Path.Combine(folder, "a.bin")));
        Assert.All(DataFetcher.Check(source, folder), c => Assert.True(c.Ok, c.Detail));
        Assert.False(File.Exists(Path.Combine(folder, "good.tar.gz")));
        Assert.Equal(1, _server.Requests);
        await new DataFetcher(http).FetchAsync(source, _root, TestContext.Current.CancellationToken);
        Assert.Equal(1, _server.Requests);
        Assert.Equal(["set"], Directory.GetFileSystemEntries(_root).Select(Path.GetFileName));
    }

    [Fact]
    public async Task ACorruptedArchiveIsRefusedAndLeavesNothingBehind()
    {
        byte[] archive = TarGz(("set/a.bin", _a), ("set/b.txt", _b));
        string md5 = Md5(archive);
        archive[archive.Length / 2] ^= 0x40;
        var source = Source(_server.Serve("/bad.tar.gz", archive), md5);
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<DataFormatException>(() => new DataFetcher(http).FetchAsync(source, _root, TestContext.Current.CancellationToken));
        Assert.Contains($"expected {md5}", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public async Task AnArchiveTruncatedInFlightIsRefusedAndLeavesNothingBehind()
    {
        byte[] archive = TarGz(("set/a.bin", _a), ("set/b.txt", _b));
        var source = Source(_server.Serve("/cut.tar.gz", archive, truncateAt: archive.Length / 3), Md5(archive));
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<DataFormatException>(() => new DataFetcher(http).FetchAsync(source, _root, TestContext.Current.CancellationToken));
        Assert.Contains("/cut.tar.gz", e.Message);
        Assert.DoesNotContain('\n', e.Message);
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public async Task AGzipFileIsKeptCompressedAndCheckedByItsContent()
    {
        byte[] gz = Gzip(_a);
        var url = _server.Serve("/a.bin.gz", gz);
        var source = new DataSource("test", "set", [new Download(url, "a.bin.gz", ArchiveKind.Gzip, Md5(gz))], [new SourceFile("a.bin", _a.Length, Sha256(_a))], "test data");
        using var http = new HttpClient();
        string folder = await new DataFetcher(http).FetchAsync(source, _root, TestContext.Current.CancellationToken);
        Assert.True(File.Exists(Path.Combine(folder, "a.bin.gz")));
        Assert.Equal("SHA-256 verified", DataFetcher.Check(source, folder).Single().Detail);
    }

    [Fact]
    public void CheckNamesWhatIsMissingOrWrong()
    {
        var source = Source(new Uri("http://127.0.0.1:1/unused"), "0");
        string folder = Directory.CreateDirectory(Path.Combine(_root, "set")).FullName;
        File.WriteAllBytes(Path.Combine(folder, "a.bin"), _a[..^1]);
        var checks = DataFetcher.Check(source, folder);
        Assert.Equal($"{_a.Length - 1} bytes, expected {_a.Length}", checks.Single(c => c.Name == "a.bin").Detail);
        Assert.Equal("missing", checks.Single(c => c.Name == "b.txt").Detail);
    }

    [Fact]
    public async Task AnExistingFolderThatDoesNotVerifyIsNeverOverwritten()
    {
        string folder = Directory.CreateDirectory(Path.Combine(_root, "set")).FullName;
        File.WriteAllBytes(Path.Combine(folder, "mine.txt"), [42]);
        var source = Source(_server.Serve("/x.tar.gz", TarGz(("set/a.bin", _a))), "0");
        using var http = new HttpClient();
        var e = await Assert.ThrowsAsync<DataFormatException>(() => new DataFetcher(http).FetchAsync(source, _root, TestContext.Current.CancellationToken));
        Assert.Contains("does not verify", e.Message);
        Assert.Equal(0, _server.Requests);
        Assert.True(File.Exists(Path.Combine(folder, "mine.txt")));
    }

    /// <summary>A mirror that recompressed the archive (as Debian's dataset-fashion-mnist did): accepted by the content's
    /// SHA-256 when every file has one; refused by the archive's MD5 when a file has none.</summary>
    [Fact]
    public async Task AMirrorMayRecompressOnlyWhereEveryFileHasASha256()
    {
        byte[] published = Gzip(_a), recompressed = Gzip(_a, CompressionLevel.NoCompression);
        Assert.NotEqual(Md5(published), Md5(recompressed));
        var mirror = _server.Serve("/mirror/a.bin.gz", recompressed);
        var official = new Download(new Uri("https://example.invalid/data/a.bin.gz"), "a.bin.gz", ArchiveKind.Gzip, Md5(published));
        var known = new DataSource("test", "set", [official], [new SourceFile("a.bin", _a.Length, Sha256(_a))], "test data").Mirrored(new Uri(mirror, "."));
        Assert.Equal(mirror, known.Downloads.Single().Url);
        using var http = new HttpClient();
        string folder = await new DataFetcher(http).FetchAsync(known, _root, TestContext.Current.CancellationToken);
        Assert.Equal("SHA-256 verified", DataFetcher.Check(known, folder).Single().Detail);
        var unknown = new DataSource("test", "other", [official], [new SourceFile("a.bin", _a.Length, null)], "test data").Mirrored(new Uri(mirror, "."));
        var e = await Assert.ThrowsAsync<DataFormatException>(() => new DataFetcher(http).FetchAsync(unknown, _root, TestContext.Current.CancellationToken));
        Assert.Contains($"expected {Md5(published)}", e.Message);
        Assert.Throws<ArgumentException>(() => known.Mirrored(new Uri("ftp://127.0.0.1/")));
    }

    [Fact]
    public void TheKnownSourcesAreComplete()
    {
        foreach (var s in KnownDataSources.All)
        {
            Assert.NotEmpty(s.Downloads);
            Assert.All(s.Downloads, d => Assert.Matches("^[0-9a-f]{32}$", d.Md5));
            Assert.All(s.Files, f => Assert.True(f.Sha256 is null || System.Text.RegularExpressions.Regex.IsMatch(f.Sha256, "^[0-9a-f]{64}$"), f.Name));
            Assert.Same(s, KnownDataSources.Get(s.Name));
        }
        Assert.Contains("cifar10, fashion-mnist", Assert.Throws<ArgumentException>(() => KnownDataSources.Get("mnist")).Message);
    }

    private DataSource Source(Uri url, string md5) =>
        new("test", "set", [new Download(url, Path.GetFileName(url.AbsolutePath), ArchiveKind.TarGz, md5)],
            [new SourceFile("a.bin", _a.Length, Sha256(_a)), new SourceFile("b.txt", _b.Length, null)], "test data");

    private static byte[] RandomBytes(int n, int seed)
    {
        var bytes = new byte[n];
        new Random(seed).NextBytes(bytes);
        return bytes;
    }

    private static byte[] TarGz(params (string Name, byte[] Data)[] files)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true))
        using (var tar = new TarWriter(gzip))
            foreach (var (name, data) in files)
                tar.WriteEntry(new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(data) });
        return output.ToArray();
    }

    private static byte[] Gzip(byte[] data, CompressionLevel level = CompressionLevel.Fastest)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, level, leaveOpen: true)) gzip.Write(data);
        return output.ToArray();
    }

    private static string Md5(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));

    private static string Sha256(byte[] data) => Convert.ToHexStringLower(SHA256.HashData(data));
}
