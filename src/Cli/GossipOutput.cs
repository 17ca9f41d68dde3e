using System.Globalization;
using System.Text;
using System.Text.Json;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using OxyPlot;
using OxyPlot.Axes;
using OxyPlot.Legends;
using OxyPlot.Series;

namespace NanoFed.Cli;

/// <summary>
/// The files of a `nanofed gossip` run folder: metrics.csv and metrics.json (every row of the run, with the bytes of
/// dense SGP over the same iterations and graph and the compression ratio against it), accuracy.svg and
/// consensus.svg; and the one-line summary of a row.
/// </summary>
internal sealed class RunOutput(GossipConfig config, string folder, ITopology topology, int parameters, int iterationsPerEpoch)
{
    /// <summary>The serialized size of one message of dense SGP (<see cref="PushSum"/>) for this model.</summary>
    private long DenseSgpMessageBytes { get; } =
        WireFormat.Size(GossipMessages.Create(0, 0, 0, [WireTensor.Dense(GossipMessages.PartName(0), new Shape(parameters), new float[parameters])], 1f));

    /// <summary>Bytes per agent of dense SGP over iterations [<paramref name="from"/>, <paramref name="to"/>) of the graph.</summary>
    public double DenseSgpBytesPerAgent(long from, long to)
    {
        long perMessage = DenseSgpMessageBytes;
        long messages = 0;
        for (long t = from; t < to; t++)
            for (int i = 0; i < topology.NodeCount; i++) messages += topology.OutPeers(i, t).Length;
        return messages * (double)perMessage / topology.NodeCount;
    }

    /// <summary>Dense SGP's bytes per agent over the iterations (or consensus rounds) of <paramref name="m"/>.</summary>
    private double DenseFor(DecentralizedMetrics m) => m.Phase == DecentralizedPhase.Training
        ? DenseSgpBytesPerAgent(m.Iterations - iterationsPerEpoch, m.Iterations)
        : DenseSgpBytesPerAgent(0, m.ConsensusRounds);

    private static double? Ratio(double dense, double bytes) => bytes > 0 ? dense / bytes : null;

    /// <summary>Rewrites metrics.csv, metrics.json and the plots from <paramref name="history"/>.</summary>
    public void Write(IReadOnlyList<DecentralizedMetrics> history)
    {
        var lines = DecentralizedMetrics.ToCsv(history).Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var csv = new StringBuilder(lines[0]).Append(",dense_sgp_bytes_per_agent,compression_ratio\n");
        for (int r = 0; r < history.Count; r++)
        {
            double dense = DenseFor(history[r]);
            csv.Append(lines[r + 1]).Append(CultureInfo.InvariantCulture, $",{dense:F0},{Ratio(dense, history[r].BytesPerAgent):F2}\n");
        }
        Atomic(Path.Combine(folder, "metrics.csv"), csv.ToString());

        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            json.WriteString("method", config.Method);
            json.WriteNumber("agents", config.Agents);
            json.WriteNumber("parameters", parameters);
            json.WriteNumber("iterations_per_epoch", iterationsPerEpoch);
            json.WriteString("compression_ratio_formula", GossipCommand.RatioFormula);
            json.WritePropertyName("rows");
            json.WriteRawValue(DecentralizedMetrics.ToJson(history));
            json.WriteStartArray("compression");
            foreach (var m in history)
            {
                double dense = DenseFor(m);
                json.WriteStartObject();
                json.WriteString("phase", m.Phase == DecentralizedPhase.Training ? "training" : "consensus");
                json.WriteNumber("epoch", m.Epoch);
                json.WriteNumber("dense_sgp_bytes_per_agent", dense);
                if (Ratio(dense, m.BytesPerAgent) is { } ratio) json.WriteNumber("compression_ratio", ratio);
                else json.WriteNull("compression_ratio");
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteEndObject();
        }
        Atomic(Path.Combine(folder, "metrics.json"), Encoding.UTF8.GetString(stream.ToArray()) + "\n");
        Plots(history.Where(m => m.Phase == DecentralizedPhase.Training).ToList());
    }

    /// <summary>One line: accuracies, consensus distance and bytes of <paramref name="m"/>.</summary>
    public string Summary(DecentralizedMetrics m)
    {
        string head = m.Phase == DecentralizedPhase.Training ? $"epoch {m.Epoch}/{config.Epochs}" : $"consensus ({m.ConsensusRounds} rounds after epoch {m.Epoch})";
        double? ratio = Ratio(DenseFor(m), m.BytesPerAgent);
        string vsSgp = ratio is { } r ? string.Create(CultureInfo.InvariantCulture, $" (x{r:F1} vs SGP)") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{head}: averaged {m.AveragedAccuracy:P2}, agents {m.MeanAccuracy:P2} [{m.MinAccuracy:P2}, {m.MaxAccuracy:P2}], consensus {m.ConsensusDistance:G4}, {m.BytesPerAgent / 1e6:F2} MB/agent{vsSgp}, lr {m.Lr:G3}, loss {m.TrainLoss:F4}");
    }

    private void Plots(List<DecentralizedMetrics> rows)
    {
        string title = $"{config.Method} ({config.Agents} agents, {config.Graph}) {config.Model} on {config.Dataset}";
        var accuracy = Model(title);
        accuracy.Axes.Add(new LinearAxis { Position = AxisPosition.Left, Title = "accuracy (%)", Minimum = 0, Maximum = 100 });
        OxyColor[] colours = [OxyColors.Crimson, OxyColors.RoyalBlue, OxyColors.SeaGreen, OxyColors.DarkOrange, OxyColors.Purple];
        int sets = rows.Count > 0 ? rows[0].Tests.Count : 0;
        for (int t = 0; t < sets; t++)
        {
            int k = t;
            string name = rows[0].Tests[t].Name.Replace("test_batch_", "test ", StringComparison.Ordinal);
            var colour = colours[t % colours.Length];
            accuracy.Series.Add(Line($"{name} averaged model", rows, m => 100 * m.Tests[k].AveragedAccuracy, LineStyle.Solid, colour));
            accuracy.Series.Add(Line($"{name} agents' mean", rows, m => 100 * (m.Tests[k].MeanAccuracy ?? double.NaN), LineStyle.Dash, colour));
        }
        MetricsPlot.Export(accuracy, Path.Combine(folder, "accuracy.svg"));

        var consensus = Model(title);
        consensus.Axes.Add(new LogarithmicAxis { Position = AxisPosition.Left, Title = "consensus distance (1/n) Σ‖x_i − x̄‖" });
        consensus.Series.Add(Line("consensus distance", rows, m => m.ConsensusDistance > 0 ? m.ConsensusDistance : double.NaN, LineStyle.Solid, colours[0]));
        MetricsPlot.Export(consensus, Path.Combine(folder, "consensus.svg"));
    }

    private static PlotModel Model(string title)
    {
        var model = new PlotModel { Title = title, Background = OxyColors.White, Padding = new OxyThickness(8, 28, 8, 8) };
        model.Legends.Add(new Legend { LegendPosition = LegendPosition.BottomCenter, LegendPlacement = LegendPlacement.Outside, LegendOrientation = LegendOrientation.Horizontal });
        model.Axes.Add(new LinearAxis { Position = AxisPosition.Bottom, Title = "epoch", MajorGridlineStyle = LineStyle.Dot, MinimumPadding = 0.03, MaximumPadding = 0.03 });
        return model;
    }

    private static LineSeries Line(string title, List<DecentralizedMetrics> rows, Func<DecentralizedMetrics, double> value, LineStyle style, OxyColor colour)
    {
        var series = new LineSeries { Title = title, LineStyle = style, Color = colour, MarkerType = MarkerType.Circle, MarkerSize = 2, MarkerFill = colour };
        foreach (var m in rows)
        {
            double v = value(m);
            series.Points.Add(new DataPoint(m.Epoch, double.IsFinite(v) ? v : double.NaN));
        }
        return series;
    }

    private static void Atomic(string path, string text)
    {
        string temp = path + ".tmp";
        File.WriteAllText(temp, text);
        File.Move(temp, path, overwrite: true);
    }
}
