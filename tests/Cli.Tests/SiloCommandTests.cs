using System.Net;
using System.Net.Sockets;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>
/// `nanofed silo`, `nanofed fl --cluster` and `nanofed gossip --cluster` refuse bad input with one line naming the option, and a run whose
/// cluster is not there stops after the connection patience with one line, not Orleans' log and stack traces.
/// </summary>
[Collection(nameof(ConsoleCollection))]
public sealed class SiloCommandTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-silo-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("--silo-port", "0")]
    [InlineData("--gateway-port", "70000")]
    [InlineData("--primary-port", "-1")]
    public void APortOutsideItsRangeIsRefused(string option, string value) =>
        AssertBadInput(Run("silo", "--cluster", "test", "--data", _dir, option, value), $"{option} must be 1..65535");

    [Theory]
    [InlineData("--advertise", "10.0.0.5", "--advertise needs --membership")]
    [InlineData("--advertise", "not-an-address", "--advertise must be an IP address")]
    [InlineData("--membership", "http://127.0.0.1:6379", "--membership must be redis://HOST:PORT")]
    public void SiloOptionsThatDoNotGoTogetherAreRefused(string option, string value, string error) =>
        AssertBadInput(Run("silo", "--cluster", "test", "--data", _dir, option, value), error);

    [Fact]
    public void ASiloWithPrimaryPortAndMembershipIsRefused() =>
        AssertBadInput(Run("silo", "--cluster", "test", "--data", _dir, "--membership", "redis://127.0.0.1:6379", "--primary-port", "11111"), "--primary-port is for local clustering");

    [Fact]
    public void ASiloWhoseRedisIsNotThereStopsWithOneLine()
    {
        var watch = System.Diagnostics.Stopwatch.StartNew();
        AssertBadInput(Run("silo", "--cluster", "test", "--data", _dir, "--membership", $"redis://127.0.0.1:{UnusedPort()}", "--silo-port", $"{UnusedPort()}"),
            "Redis did not answer");
        Assert.True(watch.Elapsed < TimeSpan.FromSeconds(30), $"took {watch.Elapsed}");
    }

    [Theory]
    [InlineData("fl", new[] { "--membership", "redis://127.0.0.1:6379" }, "--membership needs --cluster")]
    [InlineData("fl", new[] { "--cluster", "c", "--membership", "redis://127.0.0.1:6379", "--gateway-port", "30000" }, "--gateway-port is for a cluster on this machine")]
    [InlineData("fl", new[] { "--cluster", "c", "--membership", "redis:/nohost" }, "--membership must be redis://HOST:PORT")]
    [InlineData("gossip", new[] { "--cluster", "c", "--membership", "tcp://127.0.0.1:6379" }, "--membership must be redis://HOST:PORT")]
    public void RunMembershipOptionsThatDoNotGoTogetherAreRefused(string verb, string[] options, string error)
    {
        string[] args = verb == "fl"
            ? ["fl", "--model", "smallcnn", "--clients", "4", "--per-round", "2", "--rounds", "1", "--samples-per-client", "100"]
            : ["gossip", "--method", "sgp", "--agents", "2", "--model", "smallcnn", "--limit", "64", "--batch", "16", "--epochs", "1"];
        AssertBadInput(Run([.. args, "--data", _dir, "--out", Path.Combine(_dir, "run"), .. options]), error);
    }

    [Fact]
    public void ARunWhoseRedisIsNotThereFailsWithOneLine()
    {
        SyntheticFashionMnist.Write(_dir);
        AssertBadInput(Run("fl", "--model", "smallcnn", "--clients", "4", "--per-round", "2", "--rounds", "1", "--samples-per-client", "100",
            "--data", _dir, "--cluster", "nobody", "--membership", $"redis://127.0.0.1:{UnusedPort()}", "--out", Path.Combine(_dir, "run")), "Redis did not answer");
    }

    [Fact]
    public void ARunOnAClusterNobodyServesFailsWithOneLine()
    {
        SyntheticFashionMnist.Write(_dir);
        AssertBadInput(Run("fl", "--model", "smallcnn", "--clients", "4", "--per-round", "2", "--rounds", "1", "--samples-per-client", "100",
            "--data", _dir, "--cluster", "nobody", "--gateway-port", $"{UnusedPort()}", "--out", Path.Combine(_dir, "run")), "--cluster nobody: no silo answered");
    }

    [Fact]
    public void AGossipRunOnAClusterNobodyServesFailsWithOneLine()
    {
        SyntheticFashionMnist.Write(_dir);
        AssertBadInput(Run("gossip", "--method", "sgp", "--agents", "2", "--model", "smallcnn", "--limit", "64", "--batch", "16", "--epochs", "1",
            "--data", _dir, "--cluster", "nobody", "--gateway-port", $"{UnusedPort()}", "--out", Path.Combine(_dir, "gossip")), "--cluster nobody: no silo answered");
    }

    [Fact]
    public void ScspOnAClusterIsRefused()
    {
        SyntheticFashionMnist.Write(_dir);
        AssertBadInput(Run("gossip", "--method", "scsp", "--agents", "2", "--model", "smallcnn", "--limit", "64", "--batch", "16", "--epochs", "1",
            "--data", _dir, "--cluster", "nobody", "--out", Path.Combine(_dir, "gossip")), "--method scsp: a cluster runs");
    }

    private static int UnusedPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
