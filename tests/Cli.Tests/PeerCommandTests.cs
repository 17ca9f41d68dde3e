using NanoFed.Federation.Experiments;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>`nanofed peer`'s bad input: one line naming the file or option, exit code 2, before any data is read or port opened.</summary>
[Collection(nameof(ConsoleCollection))]
public sealed class PeerCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-peer-input-").FullName;

    public PeerCommandTests()
    {
        File.WriteAllText(Path.Combine(_dir, "run.json"), new GossipConfig { Agents = 4, Model = "smallcnn", Dataset = "fashion-mnist" }.ToJson());
        File.WriteAllText(Path.Combine(_dir, "peers.json"), """{ "0": "https://127.0.0.1:5100", "1": "https://127.0.0.1:5101", "2": "https://127.0.0.1:5102", "3": "https://127.0.0.1:5103" }""");
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private (int Code, string Out, string Err) Peer(string peers = "peers.json", string config = "run.json", string id = "0") =>
        Run("peer", "--config", Path.Combine(_dir, config), "--id", id, "--peers", Path.Combine(_dir, peers), "--cert", Path.Combine(_dir, "cert.pem"),
            "--key", Path.Combine(_dir, "key.pem"), "--data", "/", "--out", Path.Combine(_dir, "out"));

    [Fact]
    public void AMissingConfigurationIsBadInput() => AssertBadInput(Peer(config: "none.json"), "none.json");

    [Fact]
    public void APeersFileWithoutEveryPeerIsBadInput()
    {
        File.WriteAllText(Path.Combine(_dir, "three.json"), """{ "0": "https://127.0.0.1:5100", "1": "https://127.0.0.1:5101", "2": "https://127.0.0.1:5102" }""");
        AssertBadInput(Peer(peers: "three.json"), "no address for peer(s) 3");
    }

    [Fact]
    public void APeerAddressThatIsNotHttpsIsBadInput()
    {
        File.WriteAllText(Path.Combine(_dir, "http.json"), """{ "0": "http://127.0.0.1:5100", "1": "a", "2": "b", "3": "c" }""");
        AssertBadInput(Peer(peers: "http.json"), "http.json: peer 0");
    }

    [Theory]
    [InlineData("""{ "0": "https://127.0.0.1:5100", "00": "https://127.0.0.1:5109", "1": "a", "2": "b", "3": "c" }""", "peer 0 is given twice")]
    [InlineData("""{ "0": "https://127.0.0.1:5100", "0": "https://127.0.0.1:5109", "1": "a", "2": "b", "3": "c" }""", "twice.json: malformed peers file")]
    public void APeerGivenTwiceIsBadInput(string json, string mention)
    {
        File.WriteAllText(Path.Combine(_dir, "twice.json"), json);
        AssertBadInput(Peer(peers: "twice.json"), mention);
    }

    [Fact]
    public void AMissingCertificateIsBadInput() => AssertBadInput(Peer(), "cert.pem");
}
