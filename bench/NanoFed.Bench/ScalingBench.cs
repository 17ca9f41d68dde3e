using System.Globalization;
using System.Text.Json;
using NanoFed.Threading;

namespace NanoFed.Bench;

/// <summary>
/// `nanofed bench --scaling`: training-step time of ResNet-20 and VGG11 at batch 32, 64, 128 and 256 on 1 thread
/// and on the bench's thread count, beside PyTorch's at the same settings (bench/torch_scaling_peer.py).
/// Cases are named "resnet20 train step bs=32 threads=1", as the peer names its lines.
/// </summary>
internal sealed class ScalingBench
{
    /// <summary>The batch sizes.</summary>
    public static readonly int[] Batches = [32, 64, 128, 256];

    private readonly List<(string Name, int Threads, int Batch, double Seconds)> _results = [];
    private Peer? _peer;

    /// <summary>Times each wanted case (median of <paramref name="reps"/>), then, unless <paramref name="peers"/> is null, PyTorch on the same settings with the shared peer's models.</summary>
    public void Run(int[] threads, int reps, Func<string, bool> wanted, PeerSetup? peers, TextWriter log)
    {
        int restore = Workers.Count;
        foreach (int t in threads)
        {
            Workers.Count = t;
            foreach (string network in StepCases.Networks)
            {
                foreach (int b in Batches)
                {
                    string name = $"{network} train step bs={b} threads={t}";
                    if (!wanted(name)) continue;
                    var step = new TrainStep(network, b);
                    double s = new BenchCase(name, 0, () => null, () => step.Step()).MedianSeconds(reps);
                    _results.Add((name, t, b, s));
                    log.WriteLine($"{name}: {s * 1e3:F1} ms");
                }
            }
        }
        Workers.Count = restore;
        if (peers is null || _results.Count == 0) return;
        var inv = CultureInfo.InvariantCulture;
        string[] args =
        [
            "steps", peers.TorchPeer ?? "", reps.ToString(inv), string.Join(',', _results.Select(r => r.Threads).Distinct()),
            string.Join(',', _results.Select(r => r.Batch).Distinct()),
        ];
        _peer = peers.TorchPeer is null ? Peer.Unavailable("no shared/peers/torch_peer.py above the current directory")
            : peers.RunBenchScript("torch_scaling_peer.py", args, log);
        if (_peer.Failure != null) log.WriteLine($"peer unavailable: {_peer.Failure}; our figures only");
    }

    /// <summary>The table: ours, PyTorch's, and the speedup (theirs / ours).</summary>
    public void Print(TextWriter o)
    {
        o.WriteLine(KernelBench.StepHeader("scaling"));
        foreach (var (name, _, batch, seconds) in _results) o.WriteLine(KernelBench.StepRow(name, seconds, batch, _peer, "F1"));
    }

    /// <summary>Writes property "scaling" (an array) of the open JSON object.</summary>
    public void WriteJson(Utf8JsonWriter json)
    {
        json.WriteStartArray("scaling");
        foreach (var (name, threads, batch, seconds) in _results)
        {
            json.WriteStartObject();
            json.WriteString("name", name);
            json.WriteNumber("threads", threads);
            json.WriteNumber("batch", batch);
            KernelBench.WriteStepTimes(json, name, seconds, _peer);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (_peer?.Failure is { } failure) json.WriteString("scalingPeerFailure", failure);
    }
}
