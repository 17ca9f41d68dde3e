using System.CommandLine;
using System.Text.RegularExpressions;
using NanoFed.Bench;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed bench`: the measurements of the performance issue in one invocation. Without a mode: the FMA peak,
/// kernel throughput, whole-network step and inference times, each beside the PyTorch peer's. Modes (combinable):
/// --layers (where a ResNet-20 step's time goes), --scaling (batch 32..256 at 1 and N threads), --memory
/// (allocation per step and peak RSS), --tune (measured GEMM plans into the per-machine plan cache). The harness lives in the NanoFed.Bench library (bench/NanoFed.Bench).
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var json = new Option<string?>("--json") { Description = "Also write the figures to this JSON file" };
        var threads = new Option<int>("--threads") { Description = "Worker threads", DefaultValueFactory = _ => Environment.ProcessorCount };
        var reps = new Option<int>("--reps") { Description = "Timed runs per figure (the median is reported; docs/performance.md uses at least 5)", DefaultValueFactory = _ => 7 };
        var noPeer = new Option<bool>("--no-peer") { Description = "Do not run the PyTorch peer" };
        var peer = new Option<string?>("--peer") { Description = "The shared peer script (default: shared/peers/torch_peer.py in the nearest ancestor directory)" };
        var only = new Option<string?>("--only") { Description = "Only the figures whose name matches this regular expression (case-insensitive), e.g. \"sgemm n=256\" or \"fma peak|sgemm\"" };
        var layers = new Option<bool>("--layers") { Description = "Mode: split a ResNet-20 training step (batch 128) across ops and phases" };
        var scaling = new Option<bool>("--scaling") { Description = "Mode: ResNet-20 and VGG11 step time at batch 32, 64, 128, 256 on 1 and --threads threads" };
        var memory = new Option<bool>("--memory") { Description = "Mode: managed allocation per ResNet-20 step and the peak resident memory of the run" };
        var tune = new Option<bool>("--tune")
        {
            Description = "Mode: time the GEMM plans (blocking, thread layout; never the sums) of the SGEMM cases and the networks' GEMM shapes on --threads threads and keep the fastest in the plan cache (NANOFED_PLAN_CACHE, default ~/.cache/nanofed/plans.tsv; NANOFED_PLAN_CACHE=off ignores it)",
        };
        var command = new Command("bench", "Measure the FMA peak, kernels and networks beside PyTorch (see docs/performance.md)")
        {
            json, threads, reps, noPeer, peer, only, layers, scaling, memory, tune,
        };
        command.SetAction(parse => Program.Guard(() =>
        {
            int n = parse.GetValue(threads), r = parse.GetValue(reps);
            if (n is < 1 or > 64) throw new ArgumentException($"--threads must be 1..64, got {n}");
            if (r < 1) throw new ArgumentException($"--reps must be at least 1, got {r}");
            if (parse.GetValue(tune) && PlanCache.DefaultPath is null)
                throw new ArgumentException($"--tune: the plan cache is off ({PlanCache.Variable}=off), so there is nowhere to keep the plans");
            string? peerPath = parse.GetValue(peer) is { } p ? Path.GetFullPath(p) : BenchRun.FindDefaultPeer();
            if (parse.GetValue(peer) != null && !File.Exists(peerPath)) throw new ArgumentException($"--peer: {peerPath} does not exist");
            var settings = new BenchSettings(n, r, parse.GetValue(json), !parse.GetValue(noPeer), peerPath, Filter(parse.GetValue(only)),
                parse.GetValue(layers), parse.GetValue(scaling), parse.GetValue(memory), parse.GetValue(tune));
            return Run(settings);
        }));
        return command;
    }

    private static Func<string, bool> Filter(string? pattern)
    {
        if (pattern is null) return _ => true;
        try
        {
            var regex = new Regex(pattern, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant);
            return regex.IsMatch;
        }
        catch (ArgumentException e)
        {
            throw new ArgumentException($"--only: '{pattern}' is not a regular expression: {e.Message}");
        }
    }

    private static int Run(BenchSettings s)
    {
        try
        {
            return BenchRun.Run(s, Console.Out);
        }
        catch (InvalidOperationException e)
        {
            Console.Error.WriteLine($"nanofed: {e.Message}");
            return 1;
        }
    }
}
