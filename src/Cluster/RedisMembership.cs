using NanoFed.Federation.Transport;
using StackExchange.Redis;

namespace NanoFed.Cluster;

/// <summary>
/// A Redis server holding a cluster's membership table (Microsoft.Orleans.Clustering.Redis), written
/// redis://[[USER]:PASSWORD@]HOST[:PORT]: the silos of a cluster on several machines register in it and find each
/// other there, and a run finds the silos' gateways there. One server can hold many clusters (one hash per cluster id).
/// </summary>
public sealed class RedisMembership
{
    /// <summary>Redis' default port.</summary>
    public const int DefaultPort = 6379;

    /// <summary>
    /// How long a silo or a run waits for Redis to answer before it stops with one line: StackExchange.Redis' own
    /// default, short enough that a wrong address fails at once, long enough for a round trip between data centres.
    /// </summary>
    public static readonly TimeSpan ConnectTimeout = TimeSpan.FromSeconds(5);

    private readonly string? _user, _password;

    private RedisMembership(string host, int port, string? user, string? password) => (Host, Port, _user, _password) = (host, port, user, password);

    /// <summary>The Redis server's host name or address.</summary>
    public string Host { get; }

    /// <summary>The Redis server's port.</summary>
    public int Port { get; }

    /// <summary>Reads <paramref name="url"/>, redis://[[USER]:PASSWORD@]HOST[:PORT]; anything else is an <see cref="ArgumentException"/> naming --membership.</summary>
    public static RedisMembership Parse(string url)
    {
        ArgumentNullException.ThrowIfNull(url);
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != "redis" || uri.Host.Length == 0
            || uri.AbsolutePath is not ("" or "/") || uri.Query.Length > 0 || uri.Fragment.Length > 0)
            throw new ArgumentException($"--membership must be redis://HOST:PORT (a password as redis://:PASSWORD@HOST:PORT), got '{url}'");
        string? user = null, password = null;
        if (uri.UserInfo.Length > 0)
        {
            int colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            if (colon < 0) throw new ArgumentException($"--membership: the user in '{url}' needs a password (redis://USER:PASSWORD@HOST:PORT)");
            user = colon > 0 ? Uri.UnescapeDataString(uri.UserInfo[..colon]) : null;
            password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        return new RedisMembership(uri.IdnHost, uri.IsDefaultPort ? DefaultPort : uri.Port, user, password);
    }

    /// <summary>The server as redis://HOST:PORT, without the password, for messages.</summary>
    public override string ToString() => $"redis://{(Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]" : Host)}:{Port}";

    /// <summary>
    /// The client configuration Orleans connects with. The first connection fails after <see cref="ConnectTimeout"/>
    /// (abortConnect); once connected, StackExchange.Redis reconnects by itself if the server goes away for a while.
    /// </summary>
    internal ConfigurationOptions Options() => new()
    {
        EndPoints = { { Host, Port } },
        User = _user,
        Password = _password,
        ConnectTimeout = (int)ConnectTimeout.TotalMilliseconds,
        ConnectRetry = 1,
        AbortOnConnectFail = true,
    };

    /// <summary>
    /// Connects once and pings, so that a Redis that is not there (or refuses the password) stops a silo or a run
    /// with one <see cref="TransportException"/> line within <see cref="ConnectTimeout"/>, before Orleans starts and
    /// retries its membership table for minutes.
    /// </summary>
    public async Task Check(CancellationToken cancel = default)
    {
        try
        {
            using var redis = await ConnectionMultiplexer.ConnectAsync(Options()).WaitAsync(ConnectTimeout * 2, cancel);
            await redis.GetDatabase().PingAsync().WaitAsync(ConnectTimeout, cancel);
        }
        catch (RedisConnectionException e) when (e.FailureType == ConnectionFailureType.AuthenticationFailure)
        {
            throw new TransportException($"--membership {this}: Redis refused the user or password", e);
        }
        catch (Exception e) when (e is RedisException or TimeoutException)
        {
            string why = e is RedisConnectionException { FailureType: var failure } ? $"{failure}" : e.GetBaseException().Message.ReplaceLineEndings(" ");
            throw new TransportException($"--membership {this}: Redis did not answer within {ConnectTimeout.TotalSeconds:0} s ({why})", e);
        }
    }
}
