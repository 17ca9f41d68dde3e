using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;
using NanoFed.Nets.Training;

namespace NanoFed.Cli;

/// <summary>An SVG plot of loss (left axis) and accuracy (right axis) per epoch, through OxyPlot's SvgExporter.</summary>
internal static class MetricsPlot
{
    /// <summary>Writes the plot of <paramref name="epochs"/> to <paramref name="path"/>.</summary>
    public static void Write(string path, IReadOnlyList<EpochMetrics> epochs, string title)
    {
        // The exporter measures text without a renderer, so leave room for the title and put the legend below
        // the plot in rows, where long test-set names are not cut.
        var model = new PlotModel { Title = title, Background = OxyColors.White, Padding = new OxyThickness(8, 28, 8, 8) };
        model.Legends.Add(new Legend
        {
            LegendPosition = LegendPosition.BottomCenter,
            LegendPlacement = LegendPlacement.Outside,
            LegendOrientation = LegendOrientation.Horizontal,
            LegendItemSpacing = 36,
            LegendColumnSpacing = 36,
        });
        model.Axes.Add(new LinearAxis
        {
            Position = AxisPosition.Bottom, Title = "epoch", MajorGridlineStyle = LineStyle.Dot,
            MajorStep = Math.Max(1, Math.Ceiling(epochs.Count / 10.0)), MinorStep = 1, MinimumPadding = 0.03, MaximumPadding = 0.03,
        });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "loss", Key = "loss", Minimum = 0 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Right, Title = "accuracy (%)", Key = "acc", Minimum = 0, Maximum = 100 });
        // One colour per data set: loss solid, accuracy dashed.
        OxyColor[] colours = [OxyColors.SeaGreen, OxyColors.Crimson, OxyColors.RoyalBlue, OxyColors.DarkOrange, OxyColors.Purple];
        model.Series.Add(Line("train loss", "loss", epochs.Select(m => m.TrainLoss), epochs, LineStyle.Solid, colours[0]));
        model.Series.Add(Line("train acc", "acc", epochs.Select(m => 100 * m.TrainAccuracy), epochs, LineStyle.Dash, colours[0]));
        int tests = epochs.Count > 0 ? epochs[0].Tests.Count : 0;
        for (int t = 0; t < tests; t++)
        {
            int k = t;
            string name = epochs[0].Tests[t].Name.Replace("test_batch_", "test ", StringComparison.Ordinal);
            var colour = colours[(t + 1) % colours.Length];
            model.Series.Add(Line($"{name} loss", "loss", epochs.Select(m => m.Tests[k].Loss), epochs, LineStyle.Solid, colour));
            model.Series.Add(Line($"{name} acc", "acc", epochs.Select(m => 100 * m.Tests[k].Accuracy), epochs, LineStyle.Dash, colour));
        }
        Export(model, path);
    }

    /// <summary>Writes <paramref name="model"/> as an 800 × 520 SVG to <paramref name="path"/> (a temporary file, then a rename).</summary>
    public static void Export(PlotModel model, string path)
    {
        string temp = path + ".tmp";
        using (var stream = File.Create(temp))
            new SvgExporter { Width = 800, Height = 520 }.Export(model, stream);
        File.Move(temp, path, overwrite: true);
    }

    private static LineSeries Line(string title, string axis, IEnumerable<double> values, IReadOnlyList<EpochMetrics> epochs, LineStyle style, OxyColor colour)
    {
        var series = new LineSeries { Title = title, YAxisKey = axis, LineStyle = style, Color = colour, MarkerType = MarkerType.Circle, MarkerSize = 2, MarkerFill = colour };
        int i = 0;
        foreach (double v in values) series.Points.Add(new DataPoint(epochs[i++].Epoch, double.IsFinite(v) ? v : double.NaN));
        return series;
    }
}
