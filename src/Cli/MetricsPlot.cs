using NanoFed.Cli.Plots;
using NanoFed.Nets.Training;

namespace NanoFed.Cli;

/// <summary>The plot of a training run: loss (left axis, solid) and accuracy (right axis, dashed) per epoch, one colour per data set.</summary>
internal static class MetricsPlot
{
    /// <summary>Writes the plot of <paramref name="epochs"/> to <paramref name="path"/>.</summary>
    /// <param name="path">The SVG file.</param>
    /// <param name="epochs">The metrics, one row per epoch.</param>
    /// <param name="title">What was trained (model and data set).</param>
    /// <param name="subtitle">The setting: data set, split or range, optimizer.</param>
    public static void Write(string path, IReadOnlyList<EpochMetrics> epochs, string title, string subtitle)
    {
        var chart = new SvgChart(title, subtitle, new Axis("epoch", AxisUnit.Count), new Axis("loss", Min: 0), new Axis("accuracy (%)", Min: 0, Max: 100));
        chart.Series.Add(Line("train loss", epochs, m => m.TrainLoss, 0, false));
        chart.Series.Add(Line("train accuracy", epochs, m => 100 * m.TrainAccuracy, 0, true));
        int tests = epochs.Count > 0 ? epochs[0].Tests.Count : 0;
        for (int t = 0; t < tests; t++)
        {
            int k = t;
            string name = epochs[0].Tests[t].Name.Replace("test_batch_", "test ", StringComparison.Ordinal);
            chart.Series.Add(Line($"{name} loss", epochs, m => m.Tests[k].Loss, t + 1, false));
            chart.Series.Add(Line($"{name} accuracy", epochs, m => 100 * m.Tests[k].Accuracy, t + 1, true));
        }
        chart.Write(path);
    }

    private static Series Line(string name, IReadOnlyList<EpochMetrics> epochs, Func<EpochMetrics, double> value, int colour, bool accuracy) =>
        new(name, epochs.Select(m => ((double)m.Epoch, value(m))).ToList(), colour, Dashed: accuracy, RightAxis: accuracy);
}
