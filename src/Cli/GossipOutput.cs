using System.Globalization;
using System.Text;
using System.Text.Json;
using NanoFed.Cli.Plots;
using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Checkpoints;

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
        AtomicFile.WriteAllText(Path.Combine(folder, "metrics.csv"), csv.ToString());

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
        AtomicFile.WriteAllText(Path.Combine(folder, "metrics.json"), Encoding.UTF8.GetString(stream.ToArray()) + "\n");
        Plots(history.Where(m => m.Phase == DecentralizedPhase.Training).ToList(), history.Where(m => m.Phase != DecentralizedPhase.Training).ToList());
    }

    /// <summary>One line: accuracies, consensus distance and bytes of <paramref name="m"/>.</summary>
    public string Summary(DecentralizedMetrics m)
    {
        string head = m.Phase == DecentralizedPhase.Training ? $"epoch {m.Epoch}/{config.Epochs}" : $"consensus ({m.ConsensusRounds} rounds, {config.ConsensusText}, after epoch {m.Epoch})";
        double? ratio = Ratio(DenseFor(m), m.BytesPerAgent);
        string vsSgp = ratio is { } r ? string.Create(CultureInfo.InvariantCulture, $" (x{r:F1} vs SGP)") : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"{head}: averaged {m.AveragedAccuracy:P2}, agents {m.MeanAccuracy:P2} [{m.MinAccuracy:P2}, {m.MaxAccuracy:P2}], consensus {m.ConsensusDistance:G4}, {m.BytesPerAgent / 1e6:F2} MB/agent{vsSgp}, lr {Format.Lr(m.Lr)}, loss {m.TrainLoss:F4}");
    }

    /// <summary>
    /// accuracy.svg and consensus.svg: one point per training epoch, and the agents' mean after SCSP's consensus phase
    /// as a ring at the epoch it followed (it sits on the averaged model's line: after it every agent holds that model).
    /// </summary>
    private void Plots(List<DecentralizedMetrics> rows, List<DecentralizedMetrics> after)
    {
        string title = $"{config.Method}{CompressionText()}: {config.Agents} agents on the {config.Graph} graph{config.PeriodText}";
        string split = config.Skew is { } s ? $"skew {s.ToString(CultureInfo.InvariantCulture)}" : config.Alpha is { } a ? $"Dirichlet alpha {a.ToString(CultureInfo.InvariantCulture)}" : "IID";
        string subtitle = $"{config.Dataset}, {config.Model}{NormText()}, {split} split, batch {config.Batch} per agent{MomentumText()}";
        var epoch = new Axis("epoch", AxisUnit.Count);
        var accuracy = new SvgChart(title, subtitle, epoch, new Axis("test accuracy (%)", Min: 0, Max: 100));
        int sets = rows.Count > 0 ? rows[0].Tests.Count : 0;
        for (int t = 0; t < sets; t++)
        {
            int k = t;
            string name = rows[0].Tests[t].Name.Replace("test_batch_", "test ", StringComparison.Ordinal);
            accuracy.Series.Add(Line($"{name}: averaged model", rows, m => 100 * m.Tests[k].AveragedAccuracy, t, dashed: false));
            accuracy.Series.Add(Line($"{name}: agents' mean", rows, m => 100 * (m.Tests[k].MeanAccuracy ?? double.NaN), t, dashed: true));
            if (after.Count > 0)
                accuracy.Series.Add(Line($"{name}: agents after {after[^1].ConsensusRounds} consensus rounds", after, m => 100 * (m.Tests[k].MeanAccuracy ?? double.NaN), t, dashed: false) with { Rings = true });
        }
        accuracy.Write(Path.Combine(folder, "accuracy.svg"));

        var consensus = new SvgChart(title, subtitle, epoch, new Axis("consensus distance (1/n) Σ‖x_i − x̄‖ (log scale)", Log: true));
        consensus.Series.Add(Line("consensus distance", rows, m => m.ConsensusDistance, 0, dashed: false));
        consensus.Write(Path.Combine(folder, "consensus.svg"));
    }

    private string NormText() => config.Norm is "" or "batch" ? "" : $" ({config.Norm})";

    /// <summary>The compressed methods' compressor and consensus step, which tell two runs of one method apart.</summary>
    private string CompressionText() => config.IsCompressed
        ? string.Create(CultureInfo.InvariantCulture, $", {config.CompressorText}, gamma {config.GammaOrDefault:G4}")
        : "";

    private string MomentumText() => (config.QuasiGlobalMomentum ? ", quasi-global momentum" : "")
        + (config.UpdateTracking is { } mu ? string.Create(CultureInfo.InvariantCulture, $", update tracking {mu:G4}") : "");

    private static Series Line(string name, List<DecentralizedMetrics> rows, Func<DecentralizedMetrics, double> value, int colour, bool dashed) =>
        new(name, rows.Select(m => ((double)m.Epoch, value(m))).ToList(), colour, dashed);
}
