using System.CommandLine;
using System.Net;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using NanoFed.Cluster;
using NanoFed.Federation.Experiments;
using NanoFed.Threading;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed silo`: one silo of a NanoFed cluster (<see cref="LocalCluster.StartSilo"/>), hosting client and agent grains
/// that read their data under --data, until Ctrl-C or SIGTERM. On one machine the first silo of a cluster takes the
/// default ports and each further one takes its own and names the first with --primary-port; on several machines every
/// silo registers in the Redis given by --membership, advertising the address (--advertise) the others reach it at.
/// </summary>
internal static class SiloCommand
{
    public static Command Create()
    {
        var cluster = new Option<string>("--cluster") { Description = "Cluster id: the silos and runs of one cluster share it", Required = true };
        var siloPort = new Option<int>("--silo-port") { Description = "Silo-to-silo port", DefaultValueFactory = _ => LocalCluster.DefaultSiloPort };
        var gatewayPort = new Option<int>("--gateway-port") { Description = "Port where runs connect", DefaultValueFactory = _ => LocalCluster.DefaultGatewayPort };
        var primary = new Option<int?>("--primary-port") { Description = "Silo port of the cluster's first silo (default: this silo is the first)" };
        var data = new Option<string?>("--data") { Description = "Data root the grains of this silo read (default: environment variable NANOFED_DATA)" };
        var threads = new Option<int?>("--threads") { Description = "Worker threads (default: NANOFED_THREADS or the processor count)" };
        var membership = new Option<string?>("--membership") { Description = "Membership table of a cluster on several machines: redis://HOST:PORT (default: local clustering on this machine)" };
        var advertise = new Option<string?>("--advertise") { Description = "With --membership: the IP address the other machines reach this silo at (default: the address of this machine's host name)" };
        var state = new Option<string?>("--state") { Description = "Folder of the client grains' state (FedGKT's logits), shared by the silos of the cluster (default: nanofed-cluster-ID in the temporary folder)" };
        var command = new Command("silo", "Run one silo of a NanoFed cluster") { cluster, siloPort, gatewayPort, primary, membership, advertise, data, threads, state };
        command.SetAction(parse => Program.Guard(() =>
        {
            int port = Port(parse.GetValue(siloPort), "--silo-port"), gateway = Port(parse.GetValue(gatewayPort), "--gateway-port");
            var endpoints = new SiloEndpoints(port, gateway)
            {
                PrimaryPort = parse.GetValue(primary) is { } p ? Port(p, "--primary-port") : null,
                Advertise = parse.GetValue(advertise) is { } a ? Address(a) : null,
            };
            var table = parse.GetValue(membership) is { } url ? RedisMembership.Parse(url) : null;
            if (parse.GetValue(threads) is { } n)
            {
                if (n is < 1 or > 64) throw new ArgumentException($"--threads must be 1..64, got {n}");
                Workers.Count = n;
            }
            string root = ExperimentData.Root(parse.GetValue(data));
            string id = parse.GetValue(cluster)!, folder = parse.GetValue(state) ?? LocalCluster.DefaultStateFolder(id);
            using var host = LocalCluster.StartSilo(id, root, endpoints, table, folder).GetAwaiter().GetResult();
            string where = table is null ? "" : $", membership {table}, address {endpoints.Advertise?.ToString() ?? "of the host name"}";
            Console.WriteLine($"nanofed silo: cluster {id}{where}, silo port {port}, gateway port {gateway}, data {root}, client state {folder}");
            _ = Task.Run(async () =>
            {
                var stopping = host.Services.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
                await foreach (int count in LocalCluster.SiloCounts(host, stopping)) Console.WriteLine($"nanofed silo: cluster {id} has {count} silo{(count == 1 ? "" : "s")}");
            });
            // The host's console lifetime takes Ctrl-C and SIGTERM and stops the silo (its grains leave the cluster first).
            host.WaitForShutdown();
            return 0;
        }));
        return command;
    }

    private static IPAddress Address(string text) =>
        IPAddress.TryParse(text, out var address) ? address : throw new ArgumentException($"--advertise must be an IP address, got '{text}'");

    private static int Port(int port, string option) => port is > 0 and <= 65535 ? port : throw new ArgumentException($"{option} must be 1..65535, got {port}");
}
