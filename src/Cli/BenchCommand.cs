using System.CommandLine;
using System.Text.Json;
using System.Text.RegularExpressions;
using NanoFed.Cli.Bench;
using NanoFed.Threading;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed bench`: the measurements of the performance issue in one invocation. Without a mode: the FMA peak,
/// kernel throughput, whole-network step and inference times, each beside the PyTorch peer's. Modes (combinable):
/// --layers (where a ResNet-20 step's time goes), --scaling (batch 32..256 at 1 and N threads), --memory
/// (allocation per step and peak RSS). The harness lives in <see cref="NanoFed.Cli.Bench"/>.
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
        var command = new Command("bench", "Measure the FMA peak, kernels and networks beside PyTorch (see docs/performance.md)")
        {
            json, threads, reps, noPeer, peer, only, layers, scaling, memory,
        };
        command.SetAction(parse => Program.Guard(() =>
        {
            int n = parse.GetValue(threads), r = parse.GetValue(reps);
            if (n is < 1 or > 64) throw new ArgumentException($"--threads must be 1..64, got {n}");
            if (r < 1) throw new ArgumentException($"--reps must be at least 1, got {r}");
            string? peerPath = parse.GetValue(peer) is { } p ? Path.GetFullPath(p) : Peer.FindDefault();
            if (parse.GetValue(peer) != null && !File.Exists(peerPath)) throw new ArgumentException($"--peer: {peerPath} does not exist");
            var settings = new Settings(n, r, parse.GetValue(json), !parse.GetValue(noPeer), peerPath, Filter(parse.GetValue(only)),
                parse.GetValue(layers), parse.GetValue(scaling), parse.GetValue(memory));
            return Run(settings, Console.Out);
        }));
        return command;
    }

    private sealed record Settings(int Threads, int Reps, string? JsonPath, bool RunPeer, string? TorchPeer, Func<string, bool> Wanted,
        bool Layers, bool Scaling, bool Memory);

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

    private static int Run(Settings s, TextWriter o)
    {
        Workers.Count = s.Threads;
        o.WriteLine($"machine: {Machine.CpuModel()}, {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, {Isa.Active}");
        o.WriteLine($"threads: {s.Threads}, reps: {s.Reps} (median), load before: {Machine.LoadAverage()}");
        if (s.Reps < 5) o.WriteLine($"note: {s.Reps} runs per figure; the performance figures are medians of at least 5");

        // Memory first: its peak resident set must be the training run's, not that of a bigger benchmark before it.
        MemoryBench? memory = null;
        if (s.Memory)
        {
            memory = new MemoryBench();
            memory.Run(s.Reps, s.Threads, s.TorchPeer, s.RunPeer, o);
        }
        LayerBench? layers = null;
        if (s.Layers)
        {
            layers = new LayerBench("resnet20", 128);
            layers.Run(s.Reps);
        }
        ScalingBench? scaling = null;
        if (s.Scaling)
        {
            scaling = new ScalingBench();
            scaling.Run(s.Threads == 1 ? [1] : [1, s.Threads], s.Reps, s.Wanted, s.TorchPeer, s.RunPeer, o);
        }
        KernelBench? kernels = null;
        if (!s.Memory && !s.Layers && !s.Scaling)
        {
            kernels = new KernelBench();
            try
            {
                kernels.Run(s.Threads, s.Reps, s.Wanted, s.TorchPeer, s.RunPeer, o);
            }
            catch (InvalidOperationException e)
            {
                Console.Error.WriteLine($"nanofed: {e.Message}");
                return 1;
            }
        }

        var tables = new List<Action<TextWriter>>();
        if (memory != null) tables.Add(memory.Print);
        if (layers != null) tables.Add(layers.Print);
        if (scaling != null) tables.Add(scaling.Print);
        if (kernels != null) tables.Add(kernels.Print);
        foreach (var print in tables)
        {
            o.WriteLine();
            print(o);
        }
        o.WriteLine($"load after: {Machine.LoadAverage()}");
        if (s.JsonPath != null) WriteJson(s, o, memory, layers, scaling, kernels);
        return 0;
    }

    private static void WriteJson(Settings s, TextWriter o, MemoryBench? memory, LayerBench? layers, ScalingBench? scaling, KernelBench? kernels)
    {
        using (var stream = File.Create(s.JsonPath!))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("machine", Machine.CpuModel());
            json.WriteNumber("logicalCpus", Environment.ProcessorCount);
            json.WriteString("runtime", Environment.Version.ToString());
            json.WriteString("isa", Isa.Active);
            json.WriteNumber("threads", s.Threads);
            json.WriteNumber("reps", s.Reps);
            memory?.WriteJson(json);
            layers?.WriteJson(json);
            scaling?.WriteJson(json);
            kernels?.WriteJson(json);
            json.WriteEndObject();
        }
        o.WriteLine($"json: {s.JsonPath}");
    }
}
