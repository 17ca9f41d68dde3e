using System.Globalization;

namespace NanoFed.Cli.Plots;

/// <summary>What an axis measures, which decides its ticks and how their labels read.</summary>
internal enum AxisUnit
{
    /// <summary>Plain numbers, ticks at 1, 2 or 5 times a power of ten.</summary>
    Plain,

    /// <summary>Epochs, rounds, iterations: integer ticks only.</summary>
    Count,

    /// <summary>Bytes: ticks and labels in B, kB, MB, GB, TB (powers of 1000, as the ledger reports).</summary>
    Bytes,

    /// <summary>Seconds: ticks and labels in s, min or h, by the range shown.</summary>
    Seconds,
}

/// <summary>One axis: its title, unit, scale and optional fixed range.</summary>
/// <param name="Title">The axis title, without the unit (the unit is in the tick labels or added here).</param>
/// <param name="Unit">What it measures.</param>
/// <param name="Log">A logarithmic scale (positive values only; others are left out).</param>
/// <param name="Min">A fixed lower end, else the data's (padded).</param>
/// <param name="Max">A fixed upper end, else the data's (padded).</param>
internal sealed record Axis(string Title, AxisUnit Unit = AxisUnit.Plain, bool Log = false, double? Min = null, double? Max = null);

/// <summary>Tick positions and labels for an axis over a range: "nice" steps, units chosen for the range.</summary>
internal static class AxisTicks
{
    /// <summary>The ticks of <paramref name="axis"/> between <paramref name="lo"/> and <paramref name="hi"/>, at most about <paramref name="target"/> of them.</summary>
    public static IReadOnlyList<(double Value, string Label)> For(Axis axis, double lo, double hi, int target = 7)
    {
        if (axis.Log) return Log(axis, lo, hi);
        var (scale, unit) = Scale(axis.Unit, Math.Max(Math.Abs(lo), Math.Abs(hi)));
        double step = NiceStep((hi - lo) / scale / Math.Max(1, target - 1)) * scale;
        if (axis.Unit == AxisUnit.Count) step = Math.Max(1, Math.Round(step));
        var ticks = new List<(double, string)>();
        for (long i = (long)Math.Ceiling(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++)
            ticks.Add((i * step, Label(i * step / scale, step / scale) + unit));
        return ticks;
    }

    /// <summary>The step among 1, 2, 5 × 10^k nearest above <paramref name="raw"/>.</summary>
    public static double NiceStep(double raw)
    {
        if (!(raw > 0) || !double.IsFinite(raw)) return 1;
        double power = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        double f = raw / power;
        return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * power;
    }

    /// <summary>A byte count for a label or a table: 512 B, 1.5 kB, 12.3 MB, 4.2 GB.</summary>
    public static string Bytes(double bytes)
    {
        var (scale, unit) = Scale(AxisUnit.Bytes, Math.Abs(bytes));
        return (bytes / scale).ToString(bytes / scale >= 100 || scale == 1 ? "0" : "0.#", CultureInfo.InvariantCulture) + unit;
    }

    private static (double Scale, string Unit) Scale(AxisUnit unit, double magnitude) => unit switch
    {
        AxisUnit.Bytes => magnitude >= 1e12 ? (1e12, " TB") : magnitude >= 1e9 ? (1e9, " GB") : magnitude >= 1e6 ? (1e6, " MB")
            : magnitude >= 1e3 ? (1e3, " kB") : (1, " B"),
        AxisUnit.Seconds => magnitude >= 3 * 3600 ? (3600, " h") : magnitude >= 3 * 60 ? (60, " min") : (1, " s"),
        _ => (1, ""),
    };

    /// <summary>Ticks at powers of ten, or at 1, 2, 5 (or 1..9) times them when the range spans too few decades for three.</summary>
    private static IReadOnlyList<(double Value, string Label)> Log(Axis axis, double lo, double hi)
    {
        List<double> values = [];
        foreach (int[] mantissas in (int[][])[[1], [1, 2, 5], [1, 2, 3, 4, 5, 6, 7, 8, 9]])
        {
            values.Clear();
            for (int e = (int)Math.Floor(Math.Log10(lo)); e <= Math.Ceiling(Math.Log10(hi)); e++)
                foreach (int m in mantissas)
                {
                    double v = m * Math.Pow(10, e);
                    if (v >= lo * (1 - 1e-9) && v <= hi * (1 + 1e-9)) values.Add(v);
                }
            if (values.Count >= 3) break;
        }
        return values.Select(v => (v, axis.Unit switch
        {
            AxisUnit.Bytes => Bytes(v),
            AxisUnit.Seconds => Label(v / Scale(AxisUnit.Seconds, v).Scale, v / Scale(AxisUnit.Seconds, v).Scale / 10) + Scale(AxisUnit.Seconds, v).Unit,
            _ => v is >= 1e-3 and <= 1e5 ? v.ToString("0.###", CultureInfo.InvariantCulture) : v.ToString("0e0", CultureInfo.InvariantCulture),
        })).ToList();
    }

    private static string Label(double v, double step)
    {
        int decimals = Math.Max(0, (int)Math.Ceiling(-Math.Log10(step) - 1e-9));
        return Math.Round(v, Math.Min(decimals, 10)).ToString("0." + new string('#', Math.Min(decimals, 10)), CultureInfo.InvariantCulture);
    }
}
