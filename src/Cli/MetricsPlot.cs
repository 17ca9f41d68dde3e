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
        var model = new PlotModel { Title = title, Background = OxyColors.White };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.RightMiddle, LegendPlacement = LegendPlacement.Outside });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "epoch", Minimum = 0, MajorGridlineStyle = LineStyle.Dot });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "loss", Key = "loss", Minimum = 0 });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Right, Title = "accuracy (%)", Key = "acc", Minimum = 0, Maximum = 100 });
        model.Series.Add(Line("train loss", "loss", epochs.Select(m => m.TrainLoss), epochs, LineStyle.Solid));
        model.Series.Add(Line("train acc", "acc", epochs.Select(m => 100 * m.TrainAccuracy), epochs, LineStyle.Dash));
        int tests = epochs.Count > 0 ? epochs[0].Tests.Count : 0;
        for (int t = 0; t < tests; t++)
        {
            int k = t;
            string name = epochs[0].Tests[t].Name;
            model.Series.Add(Line($"{name} loss", "loss", epochs.Select(m => m.Tests[k].Loss), epochs, LineStyle.Solid));
            model.Series.Add(Line($"{name} acc", "acc", epochs.Select(m => 100 * m.Tests[k].Accuracy), epochs, LineStyle.Dash));
        }
        string temp = path + ".tmp";
        using (var stream = File.Create(temp))
            new SvgExporter { Width = 800, Height = 450 }.Export(model, stream);
        File.Move(temp, path, overwrite: true);
    }

    private static LineSeries Line(string title, string axis, IEnumerable<double> values, IReadOnlyList<EpochMetrics> epochs, LineStyle style)
    {
        var series = new LineSeries { Title = title, YAxisKey = axis, LineStyle = style, MarkerType = MarkerType.Circle, MarkerSize = 2 };
        int i = 0;
        foreach (double v in values) series.Points.Add(new DataPoint(epochs[i++].Epoch, double.IsFinite(v) ? v : double.NaN));
        return series;
    }
}
