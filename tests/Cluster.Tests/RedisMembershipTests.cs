using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using NanoFed.Cluster;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests.Cluster;

/// <summary>
/// --membership URLs: what is read from them, what is refused with one line naming the option, that a printed URL
/// never shows the password, and that a Redis that is not there fails within the connect timeout, not after Orleans'
/// retries.
/// </summary>
public sealed class RedisMembershipTests
{
    [Theory]
    [InlineData("redis://10.0.0.7:6380", "10.0.0.7", 6380)]
    [InlineData("redis://redis.lab", "redis.lab", RedisMembership.DefaultPort)]
    [InlineData("redis://:s3cret@redis.lab:7000/", "redis.lab", 7000)]
    [InlineData("redis://nanofed:s3cret@redis.lab:7000", "redis.lab", 7000)]
    [InlineData("redis://[::1]:6379", "::1", 6379)]
    public void AUrlGivesHostAndPort(string url, string host, int port)
    {
        var membership = RedisMembership.Parse(url);
        Assert.Equal((host, port), (membership.Host, membership.Port));
        Assert.DoesNotContain("s3cret", membership.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("127.0.0.1:6379")]
    [InlineData("http://127.0.0.1:6379")]
    [InlineData("redis://127.0.0.1:6379/1")]
    [InlineData("redis://127.0.0.1:6379?ssl=true")]
    [InlineData("redis://user@127.0.0.1:6379")]
    [InlineData("")]
    public void AnythingElseIsRefusedNamingTheOption(string url) =>
        Assert.StartsWith("--membership", Assert.Throws<ArgumentException>(() => RedisMembership.Parse(url)).Message, StringComparison.Ordinal);

    [Fact]
    public async Task ARedisThatIsNotThereFailsWithinTheConnectTimeout()
    {
        int port;
        using (var probe = new TcpListener(IPAddress.Loopback, 0))
        {
            probe.Start();
            port = ((IPEndPoint)probe.LocalEndpoint).Port;
        }
        var watch = Stopwatch.StartNew();
        var e = await Assert.ThrowsAsync<TransportException>(() => RedisMembership.Parse($"redis://127.0.0.1:{port}").Check(TestContext.Current.CancellationToken));
        Assert.True(watch.Elapsed < RedisMembership.ConnectTimeout * 3, $"took {watch.Elapsed}");
        Assert.StartsWith($"--membership redis://127.0.0.1:{port}: Redis did not answer", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', e.Message);
    }
}
