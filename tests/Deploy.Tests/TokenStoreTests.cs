using NanoFed.Deploy;
using Xunit;

namespace NanoFed.Tests;

public sealed class TokenStoreTests : IDisposable
{
    private static readonly string Alice = TokenStore.NewToken(), Bob = TokenStore.NewToken();
    private readonly string _folder = Directory.CreateTempSubdirectory("nanofed-tokens-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Write(string text, string name = "tokens.txt")
    {
        string path = Path.Combine(_folder, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void ChecksIdAndTokenAndTellsEachRefusalApart()
    {
        var store = TokenStore.Load(Write($"# node token\n\n-1 {Alice}\n  3 {Bob} revoked\n"));
        Assert.Equal(new TokenCheck(TokenVerdict.Accepted, ""), store.Check("-1", Alice));
        Assert.Equal(new TokenCheck(TokenVerdict.Wrong, "wrong token for client -1"), store.Check("-1", Bob));
        Assert.Equal(new TokenCheck(TokenVerdict.Revoked, "client 3 is revoked"), store.Check("3", Bob));
        Assert.Equal(new TokenCheck(TokenVerdict.Unknown, "client 4 is not in the tokens file"), store.Check("4", Alice));
        Assert.Equal(TokenVerdict.Missing, store.Check(null, Alice).Verdict);
        Assert.Equal(TokenVerdict.Missing, store.Check("-1", "").Verdict);
        Assert.Equal(TokenVerdict.Missing, store.Check("server", Alice).Verdict);
        Assert.True(store.Admits(-1));
        Assert.False(store.Admits(3));
        Assert.False(store.Admits(4));
        Assert.NotEqual(Alice, Bob);
        Assert.True(Alice.Length >= TokenStore.MinTokenLength);
    }

    [Fact]
    public void AnEditedFileIsReadAgainAndABrokenOneRefusesEveryone()
    {
        string path = Write($"0 {Alice}\n");
        var store = TokenStore.Load(path);
        Assert.Equal(TokenVerdict.Accepted, store.Check("0", Alice).Verdict);
        File.WriteAllText(path, $"0 {Alice} revoked\n");
        Assert.Equal(TokenVerdict.Revoked, store.Check("0", Alice).Verdict);
        File.WriteAllText(path, $"1 {Bob}\n");
        Assert.Equal(TokenVerdict.Unknown, store.Check("0", Alice).Verdict);
        File.WriteAllText(path, "0 this line is broken\n");
        Assert.StartsWith("tokens file unusable, refusing everyone", store.Check("1", Bob).Reason);
        Assert.False(store.Admits(1));
        File.Delete(path);
        Assert.Contains("tokens file not found", store.Check("1", Bob).Reason);
        File.WriteAllText(path, $"1 {Bob}\n");
        Assert.Equal(TokenVerdict.Accepted, store.Check("1", Bob).Verdict);
        Assert.True(store.Admits(1));
    }

    [Fact]
    public void AMalformedFileFailsWithOneLineNamingFileAndLine()
    {
        string path = Write("0 short\n");
        Assert.Equal($"{path}:1: token of client 0 is shorter than 16 characters", Assert.Throws<FormatException>(() => TokenStore.Load(path)).Message);
        Write($"0 {Alice}\n0 {Bob}\n");
        Assert.Equal($"{path}:2: client 0 appears twice", Assert.Throws<FormatException>(() => TokenStore.Load(path)).Message);
        Write($"x {Alice}\n");
        Assert.Equal($"{path}:1: node id 'x' is not an integer", Assert.Throws<FormatException>(() => TokenStore.Load(path)).Message);
        Write($"0 {Alice} expired\n");
        Assert.Equal($"{path}:1: expected 'NODE TOKEN' or 'NODE TOKEN revoked'", Assert.Throws<FormatException>(() => TokenStore.Load(path)).Message);
        string missing = Path.Combine(_folder, "none.txt");
        Assert.Equal($"{missing}: tokens file not found", Assert.Throws<FileNotFoundException>(() => TokenStore.Load(missing)).Message);
    }
}
