using System.Text.Json;
using NanoFed.Threading;

namespace NanoFed.Bench;

/// <summary>What one `nanofed bench` invocation measures; the CLI validates the options before it builds one.</summary>
/// <param name="Threads">Worker threads (1..64).</param>
/// <param name="Reps">Timed runs per figure; the median is reported.</param>
/// <param name="JsonPath">Where to write the figures as JSON, or null.</param>
/// <param name="RunPeer">Whether to run the PyTorch peers.</param>
/// <param name="TorchPeer">The shared peer script (null: not found).</param>
/// <param name="Wanted">Whether a figure, by name, is wanted (the --only filter).</param>
/// <param name="Layers">Mode: split a ResNet-20 step across ops and phases.</param>
/// <param name="Scaling">Mode: step times at batch 32..256 on 1 and <paramref name="Threads"/> threads.</param>
/// <param name="Memory">Mode: allocation per step and peak resident memory.</param>
/// <param name="Tune">Mode: time the GEMM plans of the wanted cases' shapes and keep the fastest in the plan cache (<see cref="PlanCache"/>).</param>
public sealed record BenchSettings(int Threads, int Reps, string? JsonPath, bool RunPeer, string? TorchPeer, Func<string, bool> Wanted,
    bool Layers, bool Scaling, bool Memory, bool Tune = false);

/// <summary>
/// One invocation of the bench: the modes asked for in <see cref="BenchSettings"/> (with none, the kernel and network
/// table), their tables on the writer, and the JSON file when asked for.
/// </summary>
public static class BenchRun
{
    /// <summary>The shared peer script found above the current directory or the binary (shared/peers/torch_peer.py), or null.</summary>
    public static string? FindDefaultPeer() => Peer.FindDefault();

    /// <summary>
    /// Runs every figure of <paramref name="s"/> and prints the tables on <paramref name="o"/>; returns the exit code.
    /// Throws <see cref="InvalidOperationException"/> when a kernel fails its validation (nothing is then timed).
    /// </summary>
    public static int Run(BenchSettings s, TextWriter o)
    {
        Workers.Count = s.Threads;
        var machine = MachineInfo.Current;
        o.WriteLine($"machine: {machine.CpuModel}, {Environment.ProcessorCount} logical CPUs, .NET {Environment.Version}, {Isa.Active}");
        o.WriteLine($"cpu: {machine}");
        o.WriteLine($"cache key: {machine.CacheKey}");
        o.WriteLine($"plan cache: {PlanCache.Active.Status}");
        o.WriteLine($"threads: {s.Threads}, reps: {s.Reps} (median), load before: {Machine.LoadAverage()}");
        if (s.Reps < 5) o.WriteLine($"note: {s.Reps} runs per figure; the performance figures are medians of at least 5");
        // Tuning first, so that the other modes of this invocation already run the plans it keeps.
        PlanTuner? tuner = null;
        if (s.Tune)
        {
            tuner = new PlanTuner();
            tuner.Run(s.Threads, s.Wanted, o);
        }
        var peers = s.RunPeer && !(s.Tune && !s.Memory && !s.Layers && !s.Scaling) ? DetectPeerKernel(s, o) : null;

        // Memory first: its peak resident set must be the training run's, not that of a bigger benchmark before it.
        MemoryBench? memory = null;
        if (s.Memory)
        {
            memory = new MemoryBench();
            memory.Run(s.Reps, s.Threads, peers, o);
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
            scaling.Run(s.Threads == 1 ? [1] : [1, s.Threads], s.Reps, s.Wanted, peers, o);
        }
        KernelBench? kernels = null;
        if (!s.Memory && !s.Layers && !s.Scaling && !s.Tune)
        {
            kernels = new KernelBench();
            kernels.Run(s.Threads, s.Reps, s.Wanted, peers, o);
        }

        var tables = new List<Action<TextWriter>>();
        if (tuner != null) tables.Add(tuner.Print);
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
        if (s.JsonPath != null) WriteJson(s, o, peers?.Kernel, tuner, memory, layers, scaling, kernels);
        return 0;
    }

    /// <summary>
    /// Which OpenBLAS kernel the peers are to run (<see cref="PeerKernel.Detect"/>), said before anything is timed: a
    /// few seconds of PyTorch start-up, and a peer that ran a fallback kernel would make every ratio meaningless.
    /// </summary>
    private static PeerSetup DetectPeerKernel(BenchSettings s, TextWriter o)
    {
        var kernel = PeerKernel.Detect(Peer.FindBenchScript(PeerKernel.Script), s.Threads, CpuFeatures.Current(), out string? failure);
        o.WriteLine(kernel is null ? $"peer kernel: unknown ({failure})" : $"peer kernel: {kernel.Describe()}");
        o.WriteLine($"peer threads: at most {s.Threads} (OPENBLAS_NUM_THREADS and OMP_NUM_THREADS set for every peer process)");
        return new PeerSetup(s.TorchPeer, kernel, s.Threads);
    }

    private static void WriteMachine(Utf8JsonWriter json, MachineInfo machine)
    {
        json.WriteStartObject("cpu");
        json.WriteString("vendor", machine.Vendor);
        json.WriteNumber("family", machine.Family);
        json.WriteNumber("model", machine.Model);
        if (machine.Caches.L1d is { } l1) json.WriteNumber("l1dBytes", l1);
        if (machine.Caches.L2 is { } l2) json.WriteNumber("l2Bytes", l2);
        if (machine.Caches.L3 is { } l3) json.WriteNumber("l3Bytes", l3);
        if (machine.Caches.L3SharedBy is { } shared) json.WriteNumber("l3SharedBy", shared);
        json.WriteString("cacheSource", machine.Caches.Source);
        json.WriteString("cacheKey", machine.CacheKey);
        json.WriteEndObject();
    }

    private static void WriteJson(BenchSettings s, TextWriter o, PeerKernel? peerKernel, PlanTuner? tuner, MemoryBench? memory, LayerBench? layers, ScalingBench? scaling, KernelBench? kernels)
    {
        using (var stream = File.Create(s.JsonPath!))
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("machine", MachineInfo.Current.CpuModel);
            WriteMachine(json, MachineInfo.Current);
            json.WriteNumber("logicalCpus", Environment.ProcessorCount);
            json.WriteString("runtime", Environment.Version.ToString());
            json.WriteString("isa", Isa.Active);
            json.WriteNumber("threads", s.Threads);
            json.WriteNumber("reps", s.Reps);
            json.WriteString("planCache", PlanCache.Active.Status);
            peerKernel?.WriteJson(json);
            tuner?.WriteJson(json);
            memory?.WriteJson(json);
            layers?.WriteJson(json);
            scaling?.WriteJson(json);
            kernels?.WriteJson(json);
            json.WriteEndObject();
        }
        o.WriteLine($"json: {s.JsonPath}");
    }
}
