using System.Diagnostics;
using System.Text.Json;

namespace NanoFed.Bench;

/// <summary>
/// `nanofed bench --layers`: where the time of a training step goes. Runs the step unprofiled (its median is the
/// reference), then <c>reps</c> steps under a <see cref="LayerProfiler"/>, and reports per step: each op kind and
/// shape, forward and backward, and the phases outside ops, with their share of the profiled step.
/// </summary>
internal sealed class LayerBench
{
    private readonly string _network;
    private readonly int _batch;
    private LayerProfiler? _profiler;
    private double _medianSeconds;
    private int _steps;

    /// <summary>A profile of <paramref name="network"/> (a <see cref="Nets.Training.ModelCatalog"/> name) at <paramref name="batch"/>.</summary>
    public LayerBench(string network, int batch)
    {
        _network = network;
        _batch = batch;
    }

    /// <summary>The profile of the last <see cref="Run"/>.</summary>
    public LayerProfiler Profiler => _profiler ?? throw new InvalidOperationException("Run first");

    /// <summary>Median unprofiled step time of the last <see cref="Run"/>, in seconds.</summary>
    public double MedianSeconds => _medianSeconds;

    /// <summary>Profiled step time per step (the rows' sum over steps), in seconds.</summary>
    public double ProfiledSeconds => Profiler.TotalSeconds / _steps;

    /// <summary>Times the unprofiled step (median of <paramref name="reps"/>), then profiles <paramref name="reps"/> steps.</summary>
    public void Run(int reps)
    {
        var step = new TrainStep(_network, _batch);
        _medianSeconds = new BenchCase("step", 0, () => null, () => step.Step()).MedianSeconds(reps);
        _profiler = new LayerProfiler();
        step.Tape.Observer = _profiler;
        for (int i = 0; i < reps; i++) step.Step(_profiler);
        step.Tape.Observer = null;
        _steps = reps;
    }

    /// <summary>The per-op table, sorted by time, then the totals by op kind.</summary>
    public void Print(TextWriter o)
    {
        double total = ProfiledSeconds;
        o.WriteLine($"{_network} train step bs={_batch}: {_medianSeconds * 1e3:F1} ms median unprofiled, {total * 1e3:F1} ms profiled (mean of {_steps})");
        o.WriteLine($"{"op / phase",-40} {"calls",6} {"fwd ms",8} {"bwd ms",8} {"total ms",9} {"share",7}");
        foreach (var r in Profiler.Rows.OrderByDescending(r => r.ForwardTicks + r.BackwardTicks))
        {
            double f = PerStep(r.ForwardTicks), b = PerStep(r.BackwardTicks);
            o.WriteLine($"{r.Label,-40} {r.Calls / _steps,6} {f * 1e3,8:F2} {b * 1e3,8:F2} {(f + b) * 1e3,9:F2} {100 * (f + b) / total,6:F1}%");
        }
        o.WriteLine();
        o.WriteLine($"{"by kind",-40} {"calls",6} {"fwd ms",8} {"bwd ms",8} {"total ms",9} {"share",7}");
        foreach (var k in ByKind().OrderByDescending(k => k.Forward + k.Backward))
            o.WriteLine($"{k.Kind,-40} {k.Calls,6} {k.Forward * 1e3,8:F2} {k.Backward * 1e3,8:F2} {(k.Forward + k.Backward) * 1e3,9:F2} {100 * (k.Forward + k.Backward) / total,6:F1}%");
    }

    /// <summary>Writes the profile as property "layers" of the open JSON object.</summary>
    public void WriteJson(Utf8JsonWriter json)
    {
        json.WriteStartObject("layers");
        json.WriteString("name", $"{_network} train step bs={_batch}");
        json.WriteNumber("medianSeconds", _medianSeconds);
        json.WriteNumber("profiledSeconds", ProfiledSeconds);
        json.WriteNumber("steps", _steps);
        json.WriteStartArray("rows");
        foreach (var r in Profiler.Rows)
        {
            json.WriteStartObject();
            json.WriteString("label", r.Label);
            json.WriteString("kind", r.Kind);
            json.WriteNumber("callsPerStep", r.Calls / _steps);
            json.WriteNumber("forwardSeconds", PerStep(r.ForwardTicks));
            json.WriteNumber("backwardSeconds", PerStep(r.BackwardTicks));
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("kinds");
        foreach (var k in ByKind())
        {
            json.WriteStartObject();
            json.WriteString("kind", k.Kind);
            json.WriteNumber("callsPerStep", k.Calls);
            json.WriteNumber("forwardSeconds", k.Forward);
            json.WriteNumber("backwardSeconds", k.Backward);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }

    /// <summary>Per-step totals by op kind; phases keep their own names.</summary>
    private IEnumerable<(string Kind, long Calls, double Forward, double Backward)> ByKind() =>
        Profiler.Rows.GroupBy(r => r.Kind == "phase" ? r.Label : r.Kind)
            .Select(g => (g.Key, g.Sum(r => r.Calls) / _steps, PerStep(g.Sum(r => r.ForwardTicks)), PerStep(g.Sum(r => r.BackwardTicks))));

    private double PerStep(long ticks) => ticks / (double)Stopwatch.Frequency / _steps;
}
