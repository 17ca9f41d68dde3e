using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;

namespace NanoFed.Deploy.Peers;

/// <summary>What `nanofed peer` needs: the run, this peer, its address book, its credentials and where to write.</summary>
public sealed class PeerProcessOptions
{
    /// <summary>The run's configuration (the same file for every peer).</summary>
    public required GossipConfig Config { get; init; }

    /// <summary>The data root the partitions are drawn from.</summary>
    public required string DataRoot { get; init; }

    /// <summary>This peer's id 0..n−1.</summary>
    public required int Id { get; init; }

    /// <summary>The address book (<see cref="PeersFile"/>).</summary>
    public required IReadOnlyDictionary<int, string> Peers { get; init; }

    /// <summary>Where to listen; null: this peer's own address in <see cref="Peers"/>.</summary>
    public string? ListenUrl { get; init; }

    /// <summary>This peer's certificate and key.</summary>
    public required X509Certificate2 Certificate { get; init; }

    /// <summary>The certificates the peers' listeners are checked against.</summary>
    public required X509Certificate2Collection TrustedCertificates { get; init; }

    /// <summary>The operator's tokens file: this peer presents its own line's token and accepts the others'.</summary>
    public required string TokensPath { get; init; }

    /// <summary>The deadline of each call, of each wait for the in-neighbours' messages, and (×4) of waiting for every peer to be up.</summary>
    public TimeSpan Deadline { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The output folder: peer-I.safetensors (final state) and peer-I.json (bytes, missed messages).</summary>
    public required string Output { get; init; }
}

/// <summary>
/// `nanofed peer`: one peer of a gossip run as an OS process. It derives its agent from the configuration (its own
/// partition only), listens on its address over gRPC (TLS, tokens), waits until every other peer is up, runs the
/// synchronous iterations of <see cref="PeerSession"/> and writes its final state and its traffic.
/// </summary>
public static class PeerProcess
{
    /// <summary>Runs the peer to the end of the run; bad input raises a one-line exception naming the option or file.</summary>
    public static void Run(PeerProcessOptions options, ILoggerFactory loggers, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggers);
        int id = options.Id;
        if (id < 0 || id >= options.Config.Agents) throw new ArgumentException($"--id must be 0..{options.Config.Agents - 1}, got {id}");
        var tokens = TokenStore.Load(options.TokensPath);
        string token = OwnToken(options.TokensPath, id);
        var setup = GossipSetup.Load(options.Config, options.DataRoot);
        var logger = loggers.CreateLogger("nanofed.peer");
        var ledger = new TrafficLedger();
        var transportOptions = new GrpcTransportOptions
        {
            NodeId = id,
            ListenUrl = options.ListenUrl ?? options.Peers[id],
            Certificate = options.Certificate,
            TrustedCertificates = options.TrustedCertificates,
            Token = token,
            Tokens = tokens,
            Schema = PeerSession.Schema(setup.Layout),
            Peers = options.Peers.Where(p => p.Key != id).ToDictionary(),
            Deadline = options.Deadline,
        };
        using var transport = GrpcTransport.Start(transportOptions, ledger, loggers);
        using var session = new PeerSession(setup, id, transport, logger) { ReceiveDeadline = options.Deadline };
        session.Connect(4 * options.Deadline);
        session.Run(cancellation);
        Directory.CreateDirectory(options.Output);
        session.Save(Path.Combine(options.Output, $"peer-{id}.safetensors"), new Dictionary<string, string> { ["config"] = options.Config.ToJson() });
        WriteSummary(Path.Combine(options.Output, $"peer-{id}.json"), session, ledger, transport.FramingBytes);
    }

    /// <summary>The token on <paramref name="id"/>'s line of the tokens file, with a one-line error naming the file when there is none.</summary>
    private static string OwnToken(string path, int id)
    {
        foreach (var line in File.ReadLines(path))
        {
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 2 && fields[0] == id.ToString(CultureInfo.InvariantCulture)) return fields[1];
        }
        throw new FormatException($"{path}: no token for peer {id}");
    }

    private static void WriteSummary(string path, PeerSession session, TrafficLedger ledger, long framing)
    {
        using var stream = File.Create(path);
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteNumber("id", session.Peer.Id);
        json.WriteNumber("iterations", session.Iteration);
        json.WriteNumber("training_bytes", ledger.Total(MessagePhase.Training));
        json.WriteNumber("control_bytes", ledger.Total(MessagePhase.Control));
        json.WriteNumber("grpc_framing_bytes", framing);
        json.WriteNumber("missed_messages", session.Missed);
        json.WriteNumber("undelivered_messages", session.Undelivered);
        json.WriteNumber("push_sum_weight", session.Peer.Agent.Node.W);
        json.WriteEndObject();
    }
}
