using NanoFed.Federation.Fl;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace NanoFed.Cli;

/// <summary>
/// SVG plots of primary test accuracy against rounds, cumulative bytes (log scale) and simulated time, one line
/// per run, through OxyPlot's SvgExporter: accuracy-rounds.svg, accuracy-bytes.svg and accuracy-time.svg.
/// </summary>
internal static class FlPlots
{
    private static readonly OxyColor[] Colours =
        [OxyColors.RoyalBlue, OxyColors.Crimson, OxyColors.SeaGreen, OxyColors.DarkOrange, OxyColors.Purple, OxyColors.Teal, OxyColors.Brown, OxyColors.Gray];

    private static readonly (string File, string Axis, Func<FlRoundMetrics, double> X, bool Log)[] Kinds =
    [
        ("accuracy-rounds.svg", "round", m => m.Round, false),
        ("accuracy-bytes.svg", "cumulative bytes", m => m.CumulativeBytes, true),
        ("accuracy-time.svg", "simulated time (s)", m => m.CumulativeSeconds, false),
    ];

    /// <summary>Writes the three plots of <paramref name="runs"/> into <paramref name="folder"/>.</summary>
    public static void Write(string folder, IReadOnlyList<(string Label, IReadOnlyList<FlRoundMetrics> Rounds)> runs, string title)
    {
        foreach (var (file, axis, x, log) in Kinds)
        {
            // The exporter measures text without a renderer: leave room for the title, legend below in rows.
            var model = new PlotModel { Title = title, Background = OxyColors.White, Padding = new OxyThickness(8, 28, 8, 8) };
            model.Legends.Add(new Legend
            {
                LegendPosition = LegendPosition.BottomCenter, LegendPlacement = LegendPlacement.Outside,
                LegendOrientation = LegendOrientation.Horizontal, LegendItemSpacing = 36, LegendColumnSpacing = 36,
            });
            model.Axes.Add(log
                ? new LogarithmicAxis { Position = AxisPosition.Bottom, Title = axis, MajorGridlineStyle = LineStyle.Dot }
                : new LinearAxis { Position = AxisPosition.Bottom, Title = axis, MajorGridlineStyle = LineStyle.Dot, Minimum = 0 });
            model.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "accuracy (%)", Minimum = 0, Maximum = 100, MajorGridlineStyle = LineStyle.Dot });
            for (int i = 0; i < runs.Count; i++)
            {
                var colour = Colours[i % Colours.Length];
                var series = new LineSeries { Title = runs[i].Label, Color = colour, MarkerType = MarkerType.Circle, MarkerSize = 2, MarkerFill = colour };
                // A log axis cannot show zero bytes (an EcoFed run before its first update round).
                foreach (var m in runs[i].Rounds.Where(m => !log || x(m) > 0))
                    series.Points.Add(new DataPoint(x(m), double.IsFinite(m.Accuracy) ? 100 * m.Accuracy : double.NaN));
                model.Series.Add(series);
            }
            string path = Path.Combine(folder, file), temp = path + ".tmp";
            using (var stream = File.Create(temp))
                new SvgExporter { Width = 800, Height = 520 }.Export(model, stream);
            File.Move(temp, path, overwrite: true);
        }
    }
}
