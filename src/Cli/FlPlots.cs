using NanoFed.Cli.Plots;
using NanoFed.Federation.Fl;

namespace NanoFed.Cli;

/// <summary>
/// Plots of primary test accuracy against rounds, cumulative bytes (log scale) and simulated time, one line per run:
/// accuracy-rounds.svg, accuracy-bytes.svg and accuracy-time.svg.
/// </summary>
internal static class FlPlots
{
    private static readonly (string File, Axis Axis, Func<FlRoundMetrics, double> X)[] Kinds =
    [
        ("accuracy-rounds.svg", new Axis("round", AxisUnit.Count), m => m.Round),
        ("accuracy-bytes.svg", new Axis("cumulative bytes on the network (log scale)", AxisUnit.Bytes, Log: true), m => m.CumulativeBytes),
        ("accuracy-time.svg", new Axis("simulated time", AxisUnit.Seconds, Min: 0), m => m.CumulativeSeconds),
    ];

    /// <summary>Writes the three plots of <paramref name="runs"/> into <paramref name="folder"/>.</summary>
    /// <param name="folder">The folder to write into.</param>
    /// <param name="runs">Each run's legend label and rounds.</param>
    /// <param name="title">What is compared.</param>
    /// <param name="subtitle">The setting: data set, model, split, clients.</param>
    public static void Write(string folder, IReadOnlyList<(string Label, IReadOnlyList<FlRoundMetrics> Rounds)> runs, string title, string subtitle)
    {
        foreach (var (file, axis, x) in Kinds)
        {
            var chart = new SvgChart(title, subtitle, axis, new Axis("accuracy (%)", Min: 0, Max: 100));
            for (int i = 0; i < runs.Count; i++)
                chart.Series.Add(new Series(runs[i].Label, runs[i].Rounds.Select(m => (x(m), 100 * m.Accuracy)).ToList(), i));
            chart.Write(Path.Combine(folder, file));
        }
    }
}
