using System.Globalization;
using System.Text.Json;
using NanoFed.Memory;

namespace NanoFed.Bench;

/// <summary>
/// `nanofed bench --memory`: managed bytes a ResNet-20 training step (batch 128) allocates in steady state, counted
/// over all threads (<see cref="GC.GetTotalAllocatedBytes(bool)"/>, precise) across <c>reps</c> steps after three
/// warm-up steps; and the process's peak resident set (VmHWM) after that run, beside PyTorch's peak for the same
/// run (bench/torch_scaling_peer.py memory). It runs before any other figure, so the peak is the training run's.
/// The peak is split into the runtime's share before the model is built, the tensor pool (after the step's tape
/// reset it holds every tensor the step had at once), the pinned kernel scratch, the rest of the managed heap and
/// the native rest.
/// </summary>
internal sealed class MemoryBench
{
    /// <summary>The network and batch of the run.</summary>
    public const string Network = "resnet20";

    /// <summary>Batch size of the run.</summary>
    public const int Batch = 128;

    private const string PeakName = "resnet20 peak rss bs=128";
    private const int WarmUp = 3;

    /// <summary>Index of the pinned-object heap in <see cref="GCMemoryInfo.GenerationInfo"/> (gen0, gen1, gen2, LOH, POH).</summary>
    private const int PinnedHeap = 4;

    private double _bytesPerStep;
    private long? _peakBytes;
    private long? _runtimeBytes;
    private long _pooledBytes, _pinnedBytes, _managedBytes;
    private Peer? _peer;

    /// <summary>Managed bytes allocated per steady-state step, from the last <see cref="Run"/>.</summary>
    public double BytesPerStep => _bytesPerStep;

    /// <summary>Runs <see cref="WarmUp"/> + <paramref name="reps"/> steps, then, unless <paramref name="peers"/> is null, the peer's run of as many steps.</summary>
    public void Run(int reps, int threads, PeerSetup? peers, TextWriter log)
    {
        _runtimeBytes = Machine.PeakResidentBytes();
        var step = new TrainStep(Network, Batch);
        for (int i = 0; i < WarmUp; i++) step.Step();
        long before = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < reps; i++) step.Step();
        _bytesPerStep = (GC.GetTotalAllocatedBytes(precise: true) - before) / (double)reps;
        _peakBytes = Machine.PeakResidentBytes();
        Split();
        if (peers is null) return;
        var inv = CultureInfo.InvariantCulture;
        _peer = peers.TorchPeer is null ? Peer.Unavailable("no shared/peers/torch_peer.py above the current directory")
            : peers.RunBenchScript("torch_scaling_peer.py", ["memory", peers.TorchPeer, threads.ToString(inv), reps.ToString(inv)], log);
        if (_peer.Failure != null) log.WriteLine($"peer unavailable: {_peer.Failure}; our figures only");
    }

    /// <summary>Sizes the managed heap's parts; a full collection after the peak was read sizes them exactly and cannot raise it.</summary>
    private void Split()
    {
        GC.Collect();
        var info = GC.GetGCMemoryInfo();
        _pooledBytes = TensorPool.IdleBytes;
        _pinnedBytes = info.GenerationInfo[PinnedHeap].SizeAfterBytes;
        _managedBytes = info.HeapSizeBytes;
    }

    /// <summary>Three lines: allocation per step, peak RSS beside the peer's, and the split of our peak.</summary>
    public void Print(TextWriter o)
    {
        o.WriteLine($"{Network} train step bs={Batch}: {_bytesPerStep:F0} bytes of managed allocation per step (steady state, all threads)");
        string ours = _peakBytes is { } p ? $"{p / 1048576.0:F1} MB" : "unknown (no /proc/self/status)";
        string theirs = _peer != null && _peer.Megabytes.TryGetValue(PeakName, out double mb) ? $", torch {mb:F1} MB" : "";
        o.WriteLine($"{PeakName}: {ours}{theirs} (VmHWM of the process)");
        if (_peakBytes is not { } peak || _runtimeBytes is not { } runtime) return;
        long other = _managedBytes - _pooledBytes - _pinnedBytes;
        long rest = peak - runtime - _managedBytes;
        o.WriteLine($"  split: {Mb(runtime)} runtime before the model, {Mb(_pooledBytes)} pooled tensors (activations, gradients, saved state), "
            + $"{Mb(_pinnedBytes)} pinned kernel scratch, {Mb(other)} other managed (parameters, their gradients, momentum, batch), "
            + $"{Mb(rest)} native rest (code, stacks, GC tables)");
    }

    private static string Mb(long bytes) => $"{bytes / 1048576.0:F1} MB";

    /// <summary>Writes property "memory" of the open JSON object.</summary>
    public void WriteJson(Utf8JsonWriter json)
    {
        json.WriteStartObject("memory");
        json.WriteString("name", $"{Network} train step bs={Batch}");
        json.WriteNumber("allocatedBytesPerStep", Math.Round(_bytesPerStep));
        if (_peakBytes is { } p) json.WriteNumber("peakResidentBytes", p);
        if (_runtimeBytes is { } r) json.WriteNumber("runtimeResidentBytes", r);
        json.WriteNumber("pooledTensorBytes", _pooledBytes);
        json.WriteNumber("pinnedScratchBytes", _pinnedBytes);
        json.WriteNumber("managedHeapBytes", _managedBytes);
        if (_peer != null && _peer.Megabytes.TryGetValue(PeakName, out double mb)) json.WriteNumber("torchPeakResidentBytes", Math.Round(mb * 1048576));
        if (_peer?.Failure is { } failure) json.WriteString("peerFailure", failure);
        json.WriteEndObject();
    }
}
