using System.Globalization;
using System.Text.Json;

namespace NanoFed.Bench;

/// <summary>
/// The main table of `nanofed bench`: the measured FMA peak; SGEMM n = 256..2048 and the 3x3 convolutions of
/// ResNet-20 and VGG11 (GFLOP/s, fraction of peak; each kernel validated against its reference before it is
/// timed); ResNet-20 and VGG11 training step and inference at batch 128, and the small-batch steps of
/// <see cref="StepCases"/>; and the PyTorch peers' figures with the ratio beside each (../shared/peers/torch_peer.py
/// for GEMM and networks, bench/torch_conv_peer.py for convolutions, bench/torch_scaling_peer.py for small batches).
/// </summary>
internal sealed class KernelBench
{
    /// <summary>Name of the peak figure, for --only.</summary>
    public const string PeakName = "fma peak";

    private readonly List<(BenchCase Case, double Seconds, double Gflops)> _cases = [];
    private readonly List<(string Name, int Batch, double Seconds)> _networks = [];
    private (double One, double All, string Width)? _peak;
    private Peer? _peer;

    /// <summary>Measures every wanted figure, then runs the peers; throws <see cref="InvalidOperationException"/> when a kernel fails validation.</summary>
    public void Run(int threads, int reps, Func<string, bool> wanted, PeerSetup? peers, TextWriter log)
    {
        if (wanted(PeakName))
        {
            double one = PeakProbe.Measure(1, 1.0, out string width);
            double all = threads == 1 ? one : PeakProbe.Measure(threads, 1.0, out _);
            _peak = (one, all, width);
            log.WriteLine($"peak ({width} FMA): 1 thread {one:F1} GFLOP/s, {threads} threads {all:F1} GFLOP/s");
            int cores = Math.Min(threads, Environment.ProcessorCount);
            if (all < 0.9 * cores * one)
                log.WriteLine($"warning: the {threads}-thread peak is below 90% of {cores}x the 1-thread peak: other work is running, figures are unreliable");
        }
        var validated = new HashSet<Func<string?>>();
        foreach (var c in GemmCases.Square(wanted, 256, 512, 1024, 2048).Concat(ConvCases.All(wanted)))
        {
            if (validated.Add(c.Validate) && c.Validate() is { } error)
                throw new InvalidOperationException($"{c.Name}: validation failed, not timed: {error}");
            double t = c.MedianSeconds(reps);
            _cases.Add((c, t, c.Flops / t / 1e9));
        }
        foreach (var (name, batch, run) in StepCases.All(wanted))
            _networks.Add((name, batch, new BenchCase(name, 0, () => null, run).MedianSeconds(reps)));
        if (peers is null || (_cases.Count == 0 && _networks.Count == 0)) return;

        static string Text(int v) => v.ToString(CultureInfo.InvariantCulture);
        _peer = peers.RunShared([Text(threads)], log);
        string[] shapes = ConvCases.PeerArguments(wanted).ToArray();
        if (shapes.Length > 0) _peer.Add(peers.RunBenchScript("torch_conv_peer.py", [Text(threads), Text(reps), .. shapes], log));
        if (StepCases.AnySmallBatch(wanted) && peers.TorchPeer is { } shared)
            _peer.Add(peers.RunBenchScript("torch_scaling_peer.py", ["small", shared, Text(reps), Text(threads)], log));
        if (_peer.Failure != null) log.WriteLine($"peer unavailable: {_peer.Failure}; our figures only");
    }

    /// <summary>The kernel table, the network table and the peer's other lines.</summary>
    public void Print(TextWriter o)
    {
        if (_cases.Count > 0) PrintCases(o);
        if (_networks.Count > 0) PrintNetworks(o);
        if (_peer is null) return;
        if (_peer.Core != null) o.WriteLine($"peer kernel: OpenBLAS {_peer.Core} (as the peer run reported it)");
        if (_peer.Lines.Count == 0) return;
        o.WriteLine();
        o.WriteLine("peer output (other lines):");
        foreach (string line in _peer.Lines) o.WriteLine($"  {line}");
        foreach (var (name, value) in _peer.Gflops)
            if (!_cases.Exists(r => r.Case.Name == name)) o.WriteLine($"  {name}: {value:F1} GFLOP/s");
    }

    private void PrintCases(TextWriter o)
    {
        o.WriteLine($"{"case",-46} {"median ms",10} {"GFLOP/s",9} {"% peak",7} {"torch GFLOP/s",14} {"ratio",6}  plan");
        foreach (var (c, seconds, gflops) in _cases)
        {
            string torch = "", ratio = "", peak = _peak is { } p ? $"{100 * gflops / p.All:F1}%" : "";
            if (_peer != null && _peer.Gflops.TryGetValue(c.Name, out double theirs))
            {
                torch = theirs.ToString("F1", CultureInfo.InvariantCulture);
                ratio = (gflops / theirs).ToString("F2", CultureInfo.InvariantCulture);
            }
            o.WriteLine($"{c.Name,-46} {seconds * 1e3,10:F2} {gflops,9:F1} {peak,7} {torch,14} {ratio,6}  {c.Plan}");
        }
        o.WriteLine();
    }

    private void PrintNetworks(TextWriter o)
    {
        o.WriteLine(StepHeader("network"));
        foreach (var (name, batch, seconds) in _networks) o.WriteLine(StepRow(name, seconds, batch, _peer, batch < StepCases.Batch ? "F1" : "F0"));
    }

    /// <summary>The header of a table of whole steps beside the peer's.</summary>
    public static string StepHeader(string title) => $"{title,-46} {"median ms",10} {"img/s",9} {"torch ms",9} {"speedup",8}";

    /// <summary>One step's row: our median, images per second, the peer's milliseconds (in <paramref name="torchFormat"/>) and the speedup theirs / ours.</summary>
    public static string StepRow(string name, double seconds, int batch, Peer? peer, string torchFormat)
    {
        string torch = "", speedup = "";
        if (peer != null && peer.Milliseconds.TryGetValue(name, out double theirs))
        {
            torch = theirs.ToString(torchFormat, CultureInfo.InvariantCulture);
            speedup = (theirs / (seconds * 1e3)).ToString("F2", CultureInfo.InvariantCulture);
        }
        return $"{name,-46} {seconds * 1e3,10:F1} {batch / seconds,9:F0} {torch,9} {speedup,8}";
    }

    /// <summary>The JSON fields of one step: "medianSeconds", and "torchSeconds" and "speedupOverTorch" when the peer timed it.</summary>
    public static void WriteStepTimes(Utf8JsonWriter json, string name, double seconds, Peer? peer)
    {
        json.WriteNumber("medianSeconds", seconds);
        if (peer != null && peer.Milliseconds.TryGetValue(name, out double theirs))
        {
            json.WriteNumber("torchSeconds", theirs / 1e3);
            json.WriteNumber("speedupOverTorch", Math.Round(theirs / (seconds * 1e3), 3));
        }
    }

    /// <summary>Writes properties "peak", "cases", "networks" and "peer" of the open JSON object.</summary>
    public void WriteJson(Utf8JsonWriter json)
    {
        if (_peak is { } peak)
        {
            json.WriteStartObject("peak");
            json.WriteString("width", peak.Width);
            json.WriteNumber("gflops1Thread", Math.Round(peak.One, 2));
            json.WriteNumber("gflopsAllThreads", Math.Round(peak.All, 2));
            json.WriteEndObject();
        }
        json.WriteStartArray("cases");
        foreach (var (c, seconds, gflops) in _cases)
        {
            json.WriteStartObject();
            json.WriteString("name", c.Name);
            json.WriteNumber("medianSeconds", seconds);
            json.WriteNumber("gflops", Math.Round(gflops, 2));
            if (c.Plan.Length > 0) json.WriteString("plan", c.Plan);
            if (_peak is { } p) json.WriteNumber("fractionOfPeak", Math.Round(gflops / p.All, 4));
            if (_peer != null && _peer.Gflops.TryGetValue(c.Name, out double theirs))
            {
                json.WriteNumber("torchGflops", theirs);
                json.WriteNumber("ratioToTorch", Math.Round(gflops / theirs, 3));
            }
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("networks");
        foreach (var (name, batch, seconds) in _networks)
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteNumber("batch", batch);
            WriteStepTimes(json, name, seconds, _peer);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (_peer == null) return;
        json.WriteStartObject("peer");
        if (_peer.Failure != null) json.WriteString("failure", _peer.Failure);
        if (_peer.Core != null) json.WriteString("core", _peer.Core);
        json.WriteStartObject("gflops");
        foreach (var (name, value) in _peer.Gflops) json.WriteNumber(name, value);
        json.WriteEndObject();
        json.WriteStartArray("lines");
        foreach (string line in _peer.Lines) json.WriteStringValue(line);
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
