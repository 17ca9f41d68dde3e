using System.Collections.Concurrent;
using System.Text.Json;
using NanoFed.Kernels;
using NanoFed.Threading;

namespace NanoFed.Bench;

/// <summary>
/// `nanofed bench --tune`: the GEMM shapes of the bench's SGEMM cases and of one step of each wanted network case
/// (recorded while the step runs, with the threads each call could use; products of at least 64³ multiply-adds), one
/// per shape class, the one with the most work in its class; each timed with <see cref="Gemm.Tune"/> and its winner kept in the plan cache file
/// (<see cref="PlanCache.DefaultPath"/>), which later invocations and training runs on this machine read.
/// </summary>
internal sealed class PlanTuner
{
    /// <summary>Fewest multiply-adds (M·N·K) of a recorded product worth tuning.</summary>
    private const long MinTunedWork = 64L * 64 * 64;

    private readonly List<(GemmTuning Tuning, int Calls)> _results = [];
    private PlanCache? _cache;

    /// <summary>Tunes every wanted shape and saves the cache; throws <see cref="InvalidOperationException"/> when the cache is off.</summary>
    public void Run(int threads, Func<string, bool> wanted, TextWriter log)
    {
        // Read afresh: the variable may have changed since the cache was first read (a test, a host process).
        var cache = PlanCache.Active = PlanCache.LoadDefault();
        if (cache.Path is null)
            throw new InvalidOperationException($"--tune: the plan cache is off ({PlanCache.Variable}=off), so there is nowhere to keep the plans");
        var calls = new Dictionary<GemmCall, int>();
        foreach (int n in new[] { 256, 512, 1024, 2048 })
            if (wanted($"sgemm n={n}")) calls[new GemmCall(Transpose.No, Transpose.No, n, n, n, threads)] = 1;
        var recorder = new ConcurrentDictionary<GemmCall, int>();
        Gemm.Recorder = recorder;
        try
        {
            foreach (var (name, _, run) in StepCases.All(wanted))
            {
                log.WriteLine($"tune: recording the GEMM shapes of {name}");
                run();
            }
        }
        finally
        {
            Gemm.Recorder = null;
        }
        // Products under 64³ multiply-adds take microseconds; their plans matter little and time mostly noise.
        foreach (var (call, count) in recorder)
            if ((long)call.M * call.N * call.K >= MinTunedWork) calls[call] = calls.GetValueOrDefault(call) + count;

        // One shape per class: the one with the most work (multiply-adds times calls), which the plan matters most for.
        var chosen = calls
            .GroupBy(c => ClassOf(c.Key))
            .Select(g => g.MaxBy(c => (double)c.Key.M * c.Key.N * c.Key.K * c.Value))
            .OrderByDescending(c => (double)c.Key.M * c.Key.N * c.Key.K * c.Value)
            .ToList();
        log.WriteLine($"tune: {calls.Count} GEMM shapes in {chosen.Count} classes; plan cache {cache.Path}");
        int saved = Workers.Count;
        try
        {
            foreach (var (call, count) in chosen)
            {
                Workers.Count = call.Threads;
                _results.Add((Gemm.Tune(call.TransA, call.TransB, call.M, call.N, call.K, cache), count));
            }
        }
        finally
        {
            Workers.Count = saved;
        }
        cache.Save();
        _cache = cache;
        log.WriteLine($"tune: {cache.Status}");
    }

    private static GemmShape ClassOf(GemmCall c)
    {
        int saved = Workers.Count;
        Workers.Count = c.Threads;
        try { return GemmShape.Of(c.TransA, c.TransB, c.M, c.N, c.K); }
        finally { Workers.Count = saved; }
    }

    /// <summary>The table: each shape tuned, the model's plan and time, the plan kept and its time.</summary>
    public void Print(TextWriter o)
    {
        o.WriteLine($"{"GEMM shape (calls in the recorded steps)",-52} {"model ms",9} {"kept ms",9} {"gain",6}  kept plan (model plan when different)");
        foreach (var (t, calls) in _results)
        {
            string plan = t.Winner == t.Model ? $"model: {t.Model}" : $"{t.Winner} (model: {t.Model})";
            o.WriteLine($"{$"{t.Shape} ({calls})",-52} {t.ModelSeconds * 1e3,9:F3} {t.WinnerSeconds * 1e3,9:F3} {t.ModelSeconds / t.WinnerSeconds,6:F2}  {plan}");
        }
        if (_cache != null) o.WriteLine($"plan cache: {_cache.Status}");
    }

    /// <summary>Writes property "tuning" of the open JSON object: the cache file and one entry per shape tuned.</summary>
    public void WriteJson(Utf8JsonWriter json)
    {
        json.WriteStartObject("tuning");
        if (_cache?.Path != null) json.WriteString("planCache", _cache.Path);
        json.WriteStartArray("gemm");
        foreach (var (t, calls) in _results)
        {
            json.WriteStartObject();
            json.WriteString("shape", t.Shape);
            json.WriteNumber("calls", calls);
            json.WriteString("modelPlan", t.Model);
            json.WriteString("keptPlan", t.Winner);
            json.WriteNumber("modelSeconds", t.ModelSeconds);
            json.WriteNumber("keptSeconds", t.WinnerSeconds);
            json.WriteNumber("candidates", t.Candidates);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteEndObject();
    }
}
