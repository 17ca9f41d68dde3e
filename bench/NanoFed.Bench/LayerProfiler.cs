using System.Diagnostics;
using NanoFed.Autograd;

namespace NanoFed.Bench;

/// <summary>
/// Splits a training step's time across its ops. As a <see cref="ITapeObserver"/> it charges the time since the
/// previous notice to each op as it is recorded (its forward, with whatever module code ran before it) and each
/// backward rule's own run time to that op's backward; <see cref="Lap"/> charges the time since the previous
/// notice, less the backward rules inside it, to a named phase (optimizer, tape reset). Every tick between
/// <see cref="Start"/> and the last lap lands in exactly one row, so the rows sum to the step's wall time.
/// Ops are grouped by kind and shape ("Conv2d 16x32x32 K=32 s=2"), so ResNet-20's repeated blocks share rows.
/// </summary>
internal sealed class LayerProfiler : ITapeObserver
{
    private readonly Dictionary<(BackwardFn Op, Shape X, Shape W, int Stride), Row> _ops = [];
    private readonly Dictionary<string, Row> _phases = [];
    private long _last;
    private long _backwardSinceLast;

    /// <summary>One row of the profile: its label, op kind, calls and total forward and backward ticks.</summary>
    public sealed class Row(string label, string kind)
    {
        /// <summary>"Conv2d 16x32x32 K=32 s=2" (input shape per sample, filters, stride), or a phase name.</summary>
        public string Label { get; } = label;

        /// <summary>The op's kind ("Conv2d", "BatchNorm2d"), or "phase" for the time outside ops.</summary>
        public string Kind { get; } = kind;

        /// <summary>Times the op ran, forward, over all profiled steps.</summary>
        public long Calls { get; internal set; }

        /// <summary>Forward (or phase) ticks of <see cref="Stopwatch"/> over all profiled steps.</summary>
        public long ForwardTicks { get; internal set; }

        /// <summary>Backward ticks over all profiled steps.</summary>
        public long BackwardTicks { get; internal set; }
    }

    /// <summary>Op rows, then phase rows.</summary>
    public IEnumerable<Row> Rows => _ops.Values.Concat(_phases.Values);

    /// <summary>Sum of all rows in seconds.</summary>
    public double TotalSeconds => Rows.Sum(r => r.ForwardTicks + r.BackwardTicks) / (double)Stopwatch.Frequency;

    /// <summary>Starts the clock of a step.</summary>
    public void Start()
    {
        _last = Stopwatch.GetTimestamp();
        _backwardSinceLast = 0;
    }

    /// <summary>Charges the time since the previous notice, less backward rules already charged, to phase <paramref name="phase"/>.</summary>
    public void Lap(string phase)
    {
        if (!_phases.TryGetValue(phase, out var row)) _phases[phase] = row = new Row(phase, "phase");
        row.Calls++;
        row.ForwardTicks += Advance() - _backwardSinceLast;
        _backwardSinceLast = 0;
    }

    /// <inheritdoc/>
    public void Recorded(ref readonly TapeEntry entry)
    {
        var row = RowOf(in entry);
        row.Calls++;
        row.ForwardTicks += Advance();
    }

    /// <inheritdoc/>
    public void BackwardRan(ref readonly TapeEntry entry, long startTimestamp, long endTimestamp)
    {
        RowOf(in entry).BackwardTicks += endTimestamp - startTimestamp;
        _backwardSinceLast += endTimestamp - startTimestamp;
    }

    private long Advance()
    {
        long now = Stopwatch.GetTimestamp(), elapsed = now - _last;
        _last = now;
        return elapsed;
    }

    private Row RowOf(ref readonly TapeEntry e)
    {
        var key = (e.Backward, e.A?.Shape ?? default, e.B?.Shape ?? default, e.I0);
        if (_ops.TryGetValue(key, out var row)) return row;
        string kind = OpKind(e.Backward);
        string label = $"{kind} {PerSample(e.A?.Shape)}";
        if (kind == "Conv2d" && e.B is { } k) label += $" K={k.Shape[0]} s={e.I0}";
        else if (kind == "Linear" && e.B is { } w) label += $" -> {w.Shape[0]}";
        return _ops[key] = new Row(label, kind);
    }

    /// <summary>The op's class name without "Op" ("Conv2dOp" → "Conv2d"): every backward rule is a static lambda or method of its op's class.</summary>
    private static string OpKind(BackwardFn backward)
    {
        var type = backward.Method.DeclaringType;
        while (type?.DeclaringType != null && type.Name.StartsWith('<')) type = type.DeclaringType;
        string name = type?.Name ?? backward.Method.Name;
        return name.EndsWith("Op", StringComparison.Ordinal) ? name[..^2] : name;
    }

    /// <summary>A shape without its batch axis, "16x32x32".</summary>
    private static string PerSample(Shape? shape)
    {
        if (shape is not { Rank: > 1 } s) return "";
        return string.Join('x', Enumerable.Range(1, s.Rank - 1).Select(i => s[i]));
    }
}
