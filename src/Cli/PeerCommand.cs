using System.CommandLine;
using System.Security.Cryptography;
using NanoFed.Deploy;
using NanoFed.Deploy.Peers;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Transport;
using NanoFed.Threading;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed peer`: one peer of a gossip run as its own process (<see cref="PeerProcess"/>); the options map onto
/// <see cref="PeerProcessOptions"/>. The run's configuration is the file given, as it stands (no option overrides it:
/// every peer must run the same configuration).
/// </summary>
internal static class PeerCommand
{
    public static Command Create()
    {
        var config = new Option<string>("--config") { Description = "The run's configuration (JSON, as `nanofed gossip --config` reads); the same file for every peer", Required = true };
        var id = new Option<int>("--id") { Description = "This peer's id, 0..agents-1", Required = true };
        var peers = new Option<string>("--peers") { Description = "PEERS.json: every peer's id mapped to the https URL of its listener", Required = true };
        var tokens = new Option<string?>("--token-file") { Description = "The operator's tokens file (lines 'ID TOKEN'): this peer presents its own line's token and accepts the others' (default: tokens.txt beside PEERS.json)" };
        var cert = new Option<string>("--cert") { Description = "This peer's TLS certificate (PEM)", Required = true };
        var key = new Option<string>("--key") { Description = "The private key of --cert (PEM)", Required = true };
        var trust = new Option<string?>("--trust") { Description = "Certificates (PEM) the other peers' listeners are checked against: a CA or their certificates (default: --cert)" };
        var listen = new Option<string?>("--listen") { Description = "Where to listen, https://IP:PORT (default: this peer's address in PEERS.json)" };
        var deadline = new Option<double>("--deadline") { Description = "Seconds a call or a wait for the in-neighbours' messages may take", DefaultValueFactory = _ => 30 };
        var data = new Option<string?>("--data") { Description = "Data root (default: environment variable NANOFED_DATA)" };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: NANOFED_THREADS or the processor count)" };
        var output = new Option<string>("--out") { Description = "Output folder: peer-ID.safetensors (final model and push-sum state) and peer-ID.json (traffic)", Required = true };
        var command = new Command("peer", "One peer of a gossip run as its own process, over gRPC (see docs/deployment.md)")
        {
            config, id, peers, tokens, cert, key, trust, listen, deadline, data, threads, output,
        };
        command.SetAction(parse => Program.Guard(() =>
        {
            if (parse.GetValue(threads) is { } n)
            {
                if (n is < 1 or > 64) throw new ArgumentException($"--threads must be 1..64, got {n}");
                Workers.Count = n;
            }
            double seconds = parse.GetValue(deadline);
            if (!(seconds > 0 && seconds <= 3600)) throw new ArgumentException($"--deadline must be in (0, 3600] seconds, got {seconds}");
            var run = GossipConfig.Read(parse.GetValue(config)!);
            string peersPath = parse.GetValue(peers)!, certPath = parse.GetValue(cert)!;
            var options = new PeerProcessOptions
            {
                Config = run,
                DataRoot = ExperimentData.Root(parse.GetValue(data)),
                Id = parse.GetValue(id),
                Peers = PeersFile.Read(peersPath, run.Agents),
                ListenUrl = parse.GetValue(listen),
                Certificate = Certificate(() => TlsCertificates.LoadPem(certPath, parse.GetValue(key)!)),
                TrustedCertificates = Certificate(() => TlsCertificates.LoadTrust(parse.GetValue(trust) ?? certPath)),
                TokensPath = parse.GetValue(tokens) ?? Path.Combine(Path.GetDirectoryName(Path.GetFullPath(peersPath))!, "tokens.txt"),
                Deadline = TimeSpan.FromSeconds(seconds),
                Output = parse.GetValue(output)!,
            };
            using var loggers = NodeLogging.Create();
            try { PeerProcess.Run(options, loggers); }
            catch (TransportException e) { throw new IOException($"peer {options.Id}: {e.Message}", e); }
            Console.WriteLine($"peer {options.Id}: done, {Path.Combine(options.Output, $"peer-{options.Id}.safetensors")}");
            return 0;
        }));
        return command;
    }

    /// <summary>A certificate loaded by <paramref name="load"/>, its failure as bad input (the message names the file).</summary>
    private static T Certificate<T>(Func<T> load)
    {
        try { return load(); }
        catch (CryptographicException e) { throw new ArgumentException(e.Message, e); }
    }
}
