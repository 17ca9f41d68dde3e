using System.CommandLine;
using System.Security.Cryptography.X509Certificates;
using NanoFed.Deploy;
using NanoFed.Federation.Experiments;
using NanoFed.Threading;

namespace NanoFed.Cli;

/// <summary>The options the server and the device processes share (TLS, deadline, data, threads) and their mapping onto <see cref="GrpcTransportOptions"/>.</summary>
internal sealed class NodeOptions
{
    public Option<string> Config { get; } = new("--config") { Description = "Run configuration (JSON, as nanofed fl --config)", Required = true };
    public Option<string> Cert { get; } = new("--cert") { Description = "This node's TLS certificate with its private key (PKCS#12 .pfx, no password)", Required = true };
    public Option<string?> Trust { get; } = new("--trust") { Description = "PEM certificates this node trusts when it calls (default: its own --cert, for one deployment certificate)" };
    public Option<double> Deadline { get; } = new("--deadline") { Description = "Deadline of every call in seconds (a device's whole turn included)", DefaultValueFactory = _ => 300 };
    public Option<string?> Data { get; } = new("--data") { Description = "Data root (default: environment variable NANOFED_DATA)" };
    public Option<int?> Threads { get; } = new("--threads") { Description = "Worker threads (default: NANOFED_THREADS or the processor count)" };

    public IEnumerable<Option> All => [Config, Cert, Trust, Deadline, Data, Threads];

    /// <summary>The run configuration, validated; sets the worker threads.</summary>
    public FlConfig ReadConfig(ParseResult parse)
    {
        if (parse.GetValue(Threads) is { } n)
        {
            if (n is < 1 or > 64) throw new ArgumentException($"--threads must be 1..64, got {n}");
            Workers.Count = n;
        }
        var config = FlConfig.Read(parse.GetValue(Config)!).Resolve();
        config.Validate();
        return config;
    }

    /// <summary>The transport options of node <paramref name="node"/> listening on <paramref name="listen"/>, its token and the accepted callers from <paramref name="tokensPath"/>.</summary>
    public GrpcTransportOptions Transport(ParseResult parse, FlConfig config, int node, string listen, string tokensPath, IReadOnlyDictionary<int, string> peers)
    {
        double seconds = parse.GetValue(Deadline);
        if (!(seconds > 0) || !double.IsFinite(seconds)) throw new ArgumentException($"--deadline must be positive, got {seconds}");
        string certPath = parse.GetValue(Cert)!;
        if (!File.Exists(certPath)) throw new ArgumentException($"--cert: no such file {certPath}");
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(certPath, null);
        var trust = parse.GetValue(Trust) is { } pem ? TlsCertificates.LoadTrust(pem) : [X509CertificateLoader.LoadCertificate(certificate.RawData)];
        var tokens = TokenStore.Load(tokensPath);
        return new GrpcTransportOptions
        {
            NodeId = node, ListenUrl = listen, Certificate = certificate, TrustedCertificates = trust, Token = tokens.TokenOf(node), Tokens = tokens,
            Schema = FlWireSchema.For(config), Peers = peers, Deadline = TimeSpan.FromSeconds(seconds),
        };
    }
}
