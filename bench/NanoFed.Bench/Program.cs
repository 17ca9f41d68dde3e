using System.Globalization;
using System.Text.Json;
using NanoFed;
using NanoFed.Bench;
using NanoFed.Threading;

// NanoFed.Bench: measured FMA peak, kernel GFLOP/s (median of runs, validated first) and the PyTorch peer.
// Usage: dotnet run -c Release --project bench/NanoFed.Bench -- --threads 2 [--json FILE] [--no-peer] [--peer PATH] [--reps N]
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.InvariantCulture;
var options = Options.Parse(args);
if (options is null) return 2;

Workers.Count = options.Threads;
Console.WriteLine($"machine: {Machine.CpuModel()}, {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, {Isa.Active}");
Console.WriteLine($"threads: {options.Threads}, reps: {options.Reps} (median), load before: {Machine.LoadAverage()}");

double peak1 = PeakProbe.Measure(1, 1.0, out string width);
double peakN = options.Threads == 1 ? peak1 : PeakProbe.Measure(options.Threads, 1.0, out _);
Console.WriteLine($"peak ({width} FMA): 1 thread {peak1:F1} GFLOP/s, {options.Threads} threads {peakN:F1} GFLOP/s");
int cores = Math.Min(options.Threads, Environment.ProcessorCount);
if (peakN < 0.9 * cores * peak1)
    Console.WriteLine($"warning: the {options.Threads}-thread peak is below 90% of {cores}x the 1-thread peak: other work is running, figures are unreliable");

// The case list; each case is named as the peer names the same work.
var cases = GemmCases.Square(256, 512, 1024, 2048).Concat(ConvCases.All()).ToList();

var results = new List<(BenchCase Case, double Seconds, double Gflops)>();
var validated = new HashSet<Func<string?>>();
foreach (var c in cases)
{
    if (validated.Add(c.Validate))
    {
        string? error = c.Validate();
        if (error != null)
        {
            Console.Error.WriteLine($"{c.Name}: validation failed, not timed: {error}");
            return 1;
        }
    }
    double t = c.MedianSeconds(options.Reps);
    results.Add((c, t, c.Flops / t / 1e9));
}

var steps = new List<(string Name, double Seconds)>();
foreach (var (name, run) in StepCases.All())
    steps.Add((name, new BenchCase(name, 0, () => null, run).MedianSeconds(options.Reps)));

Peer? peer = null;
if (options.RunPeer)
{
    string? script = options.PeerPath ?? Peer.FindDefault();
    Console.WriteLine($"peer: /usr/bin/python3 {script ?? "(not found)"} {options.Threads}");
    string threads = options.Threads.ToString(CultureInfo.InvariantCulture);
    peer = Peer.Run(script, threads);
    string? convScript = Peer.FindConvScript();
    Console.WriteLine($"peer: /usr/bin/python3 {convScript ?? "bench/torch_conv_peer.py (not found)"} {threads} {options.Reps} <shapes>");
    peer.Add(Peer.Run(convScript, [threads, options.Reps.ToString(CultureInfo.InvariantCulture), .. ConvCases.PeerArguments()]));
    if (peer.Failure != null) Console.WriteLine($"peer unavailable: {peer.Failure}; our figures only");
}

Console.WriteLine();
Console.WriteLine($"{"case",-46} {"median ms",10} {"GFLOP/s",9} {"% peak",7} {"torch GFLOP/s",14} {"ratio",6}");
foreach (var (c, seconds, gflops) in results)
{
    string torch = "", ratio = "";
    if (peer != null && peer.Gflops.TryGetValue(c.Name, out double theirs))
    {
        torch = theirs.ToString("F1");
        ratio = (gflops / theirs).ToString("F2");
    }
    Console.WriteLine($"{c.Name,-46} {seconds * 1e3,10:F2} {gflops,9:F1} {100 * gflops / peakN,6:F1}% {torch,14} {ratio,6}");
}
Console.WriteLine();
Console.WriteLine($"{"network",-46} {"median ms",10} {"img/s",9} {"torch ms",9} {"speedup",8}");
foreach (var (name, seconds) in steps)
{
    string torch = "", speedup = "";
    if (peer != null && peer.Milliseconds.TryGetValue(name, out double theirs))
    {
        torch = theirs.ToString("F0");
        speedup = (theirs / (seconds * 1e3)).ToString("F2");
    }
    Console.WriteLine($"{name,-46} {seconds * 1e3,10:F1} {StepCases.Batch / seconds,9:F0} {torch,9} {speedup,8}");
}
if (peer != null && peer.Lines.Count > 0)
{
    Console.WriteLine();
    Console.WriteLine("peer output (other lines):");
    foreach (string line in peer.Lines) Console.WriteLine($"  {line}");
    foreach (var (name, value) in peer.Gflops)
        if (!results.Exists(r => r.Case.Name == name)) Console.WriteLine($"  {name}: {value:F1} GFLOP/s");
}
Console.WriteLine($"load after: {Machine.LoadAverage()}");

if (options.JsonPath != null)
{
    using var stream = File.Create(options.JsonPath);
    using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
    json.WriteStartObject();
    json.WriteString("machine", Machine.CpuModel());
    json.WriteNumber("logicalCpus", Environment.ProcessorCount);
    json.WriteString("runtime", Environment.Version.ToString());
    json.WriteString("isa", Isa.Active);
    json.WriteNumber("threads", options.Threads);
    json.WriteNumber("reps", options.Reps);
    json.WriteStartObject("peak");
    json.WriteString("width", width);
    json.WriteNumber("gflops1Thread", Math.Round(peak1, 2));
    json.WriteNumber("gflopsAllThreads", Math.Round(peakN, 2));
    json.WriteEndObject();
    json.WriteStartArray("cases");
    foreach (var (c, seconds, gflops) in results)
    {
        json.WriteStartObject();
        json.WriteString("name", c.Name);
        json.WriteNumber("medianSeconds", seconds);
        json.WriteNumber("gflops", Math.Round(gflops, 2));
        json.WriteNumber("fractionOfPeak", Math.Round(gflops / peakN, 4));
        if (peer != null && peer.Gflops.TryGetValue(c.Name, out double theirs))
        {
            json.WriteNumber("torchGflops", theirs);
            json.WriteNumber("ratioToTorch", Math.Round(gflops / theirs, 3));
        }
        json.WriteEndObject();
    }
    json.WriteEndArray();
    json.WriteStartArray("networks");
    foreach (var (name, seconds) in steps)
    {
        json.WriteStartObject();
        json.WriteString("name", name);
        json.WriteNumber("medianSeconds", seconds);
        if (peer != null && peer.Milliseconds.TryGetValue(name, out double theirs))
        {
            json.WriteNumber("torchSeconds", theirs / 1e3);
            json.WriteNumber("speedupOverTorch", Math.Round(theirs / (seconds * 1e3), 3));
        }
        json.WriteEndObject();
    }
    json.WriteEndArray();
    if (peer != null)
    {
        json.WriteStartObject("peer");
        if (peer.Failure != null) json.WriteString("failure", peer.Failure);
        json.WriteStartObject("gflops");
        foreach (var (name, value) in peer.Gflops) json.WriteNumber(name, value);
        json.WriteEndObject();
        json.WriteStartArray("lines");
        foreach (string line in peer.Lines) json.WriteStringValue(line);
        json.WriteEndArray();
        json.WriteEndObject();
    }
    json.WriteEndObject();
    Console.WriteLine($"json: {options.JsonPath}");
}
return 0;
