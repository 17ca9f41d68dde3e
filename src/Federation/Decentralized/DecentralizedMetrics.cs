using System.Globalization;
using System.Text;
using System.Text.Json;

namespace NanoFed.Federation.Decentralized;

/// <summary>Which phase a <see cref="DecentralizedMetrics"/> row measures.</summary>
public enum DecentralizedPhase
{
    /// <summary>A training epoch (local steps, then gossip).</summary>
    Training,

    /// <summary>Skew-compensating consensus rounds (forward passes in train mode, then gossip; no optimizer step).</summary>
    Consensus,
}

/// <summary>Accuracies on one test set.</summary>
/// <param name="Name">The test set's name.</param>
/// <param name="AveragedAccuracy">Accuracy of the averaged model x̄ (BatchNorm buffers averaged too).</param>
/// <param name="MeanAccuracy">Mean agent accuracy; null when the agents were not evaluated on this set this time.</param>
/// <param name="MinAccuracy">Lowest agent accuracy, or null.</param>
/// <param name="MaxAccuracy">Highest agent accuracy, or null.</param>
public sealed record TestSetAccuracy(string Name, double AveragedAccuracy, double? MeanAccuracy, double? MinAccuracy, double? MaxAccuracy);

/// <summary>The averaged model's and every agent's accuracy on one test set.</summary>
/// <param name="Name">The test set's name.</param>
/// <param name="Count">Images in the test set.</param>
/// <param name="AveragedAccuracy">Accuracy of the averaged model x̄ (BatchNorm buffers averaged too).</param>
/// <param name="Agents">Accuracy of agent i's model x_i, in agent order.</param>
public sealed record AgentAccuracies(string Name, int Count, double AveragedAccuracy, IReadOnlyList<double> Agents);

/// <summary>Metrics of one decentralized epoch or consensus phase; the first test set's figures are also in the top-level fields.</summary>
/// <param name="Phase">Training epoch or consensus phase.</param>
/// <param name="Epoch">1-based epoch (for a consensus phase: the training epochs completed before it).</param>
/// <param name="Iterations">Training iterations run so far (all epochs).</param>
/// <param name="ConsensusRounds">Consensus rounds of this phase (0 for a training epoch).</param>
/// <param name="Lr">Learning rate of the epoch's last iteration.</param>
/// <param name="TrainLoss">Mean training loss over agents and batches (consensus: of the forward passes).</param>
/// <param name="MeanAccuracy">Mean over agents of the first test set's accuracy of x_i = z_i / w_i (with the agent's own BatchNorm statistics).</param>
/// <param name="MinAccuracy">Lowest agent accuracy on the first test set.</param>
/// <param name="MaxAccuracy">Highest agent accuracy on the first test set.</param>
/// <param name="AveragedAccuracy">First test set's accuracy of the averaged model x̄ = (1/n) Σ x_i (BatchNorm buffers averaged too).</param>
/// <param name="ConsensusDistance">(1/n) Σ_i ‖x_i − x̄‖₂ over all parameters.</param>
/// <param name="BytesPerAgent">Bytes sent per agent in this epoch or phase (ledger total / n).</param>
/// <param name="CumulativeBytesPerAgent">Bytes sent per agent since the run started, training and consensus.</param>
/// <param name="MinWeight">Smallest push-sum weight w_i at the end.</param>
/// <param name="MaxWeight">Largest push-sum weight w_i at the end.</param>
/// <param name="Tests">Accuracies on every test set, the first included.</param>
public sealed record DecentralizedMetrics(DecentralizedPhase Phase, int Epoch, long Iterations, int ConsensusRounds, double Lr, double TrainLoss,
    double MeanAccuracy, double MinAccuracy, double MaxAccuracy, double AveragedAccuracy, double ConsensusDistance, double BytesPerAgent,
    double CumulativeBytesPerAgent, float MinWeight, float MaxWeight, IReadOnlyList<TestSetAccuracy> Tests)
{
    /// <summary>
    /// Σ_i w_i, the push-sum weights summed in double in agent order: n while push-sum mass is conserved (also when
    /// messages are lost, whose shares stay with their senders), up to float rounding. NaN in rows read from a
    /// checkpoint written before it was recorded.
    /// </summary>
    public double WeightSum { get; init; } = double.NaN;

    /// <summary>Value equality, the test sets compared element by element (so a resumed run's rows equal the original's).</summary>
    public bool Equals(DecentralizedMetrics? other) =>
        other is not null && Phase == other.Phase && Epoch == other.Epoch && Iterations == other.Iterations && ConsensusRounds == other.ConsensusRounds
        && Lr.Equals(other.Lr) && TrainLoss.Equals(other.TrainLoss) && MeanAccuracy.Equals(other.MeanAccuracy) && MinAccuracy.Equals(other.MinAccuracy)
        && MaxAccuracy.Equals(other.MaxAccuracy) && AveragedAccuracy.Equals(other.AveragedAccuracy) && ConsensusDistance.Equals(other.ConsensusDistance)
        && BytesPerAgent.Equals(other.BytesPerAgent) && CumulativeBytesPerAgent.Equals(other.CumulativeBytesPerAgent)
        && MinWeight.Equals(other.MinWeight) && MaxWeight.Equals(other.MaxWeight) && WeightSum.Equals(other.WeightSum) && Tests.SequenceEqual(other.Tests);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(Phase, Epoch, Iterations, ConsensusDistance, AveragedAccuracy, Tests.Count);

    /// <summary>The rows as a JSON array (doubles in round-trip form, so <see cref="FromJson"/> restores them bit for bit).</summary>
    public static string ToJson(IEnumerable<DecentralizedMetrics> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        using var stream = new MemoryStream();
        using (var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartArray();
            foreach (var m in rows)
            {
                json.WriteStartObject();
                json.WriteString("phase", m.Phase == DecentralizedPhase.Training ? "training" : "consensus");
                json.WriteNumber("epoch", m.Epoch);
                json.WriteNumber("iterations", m.Iterations);
                json.WriteNumber("consensus_rounds", m.ConsensusRounds);
                Number(json, "lr", m.Lr);
                Number(json, "train_loss", m.TrainLoss);
                Number(json, "mean_accuracy", m.MeanAccuracy);
                Number(json, "min_accuracy", m.MinAccuracy);
                Number(json, "max_accuracy", m.MaxAccuracy);
                Number(json, "averaged_accuracy", m.AveragedAccuracy);
                Number(json, "consensus_distance", m.ConsensusDistance);
                Number(json, "bytes_per_agent", m.BytesPerAgent);
                Number(json, "cumulative_bytes_per_agent", m.CumulativeBytesPerAgent);
                Number(json, "min_weight", m.MinWeight);
                Number(json, "max_weight", m.MaxWeight);
                Number(json, "weight_sum", m.WeightSum);
                json.WriteStartArray("tests");
                foreach (var t in m.Tests)
                {
                    json.WriteStartObject();
                    json.WriteString("name", t.Name);
                    Number(json, "averaged_accuracy", t.AveragedAccuracy);
                    Number(json, "mean_accuracy", t.MeanAccuracy);
                    Number(json, "min_accuracy", t.MinAccuracy);
                    Number(json, "max_accuracy", t.MaxAccuracy);
                    json.WriteEndObject();
                }
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>Parses <see cref="ToJson"/>'s output; throws <see cref="FormatException"/> when malformed.</summary>
    public static List<DecentralizedMetrics> FromJson(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            var list = new List<DecentralizedMetrics>();
            foreach (var e in doc.RootElement.EnumerateArray())
            {
                var tests = e.GetProperty("tests").EnumerateArray()
                    .Select(t => new TestSetAccuracy(t.GetProperty("name").GetString()!, Read(t, "averaged_accuracy"), ReadOptional(t, "mean_accuracy"),
                        ReadOptional(t, "min_accuracy"), ReadOptional(t, "max_accuracy")))
                    .ToArray();
                var phase = e.GetProperty("phase").GetString() switch
                {
                    "training" => DecentralizedPhase.Training,
                    "consensus" => DecentralizedPhase.Consensus,
                    var p => throw new FormatException($"unknown phase '{p}'"),
                };
                list.Add(new DecentralizedMetrics(phase, e.GetProperty("epoch").GetInt32(), e.GetProperty("iterations").GetInt64(),
                    e.GetProperty("consensus_rounds").GetInt32(), Read(e, "lr"), Read(e, "train_loss"), Read(e, "mean_accuracy"), Read(e, "min_accuracy"),
                    Read(e, "max_accuracy"), Read(e, "averaged_accuracy"), Read(e, "consensus_distance"), Read(e, "bytes_per_agent"),
                    Read(e, "cumulative_bytes_per_agent"), (float)Read(e, "min_weight"), (float)Read(e, "max_weight"), tests)
                {
                    WeightSum = e.TryGetProperty("weight_sum", out _) ? Read(e, "weight_sum") : double.NaN,
                });
            }
            return list;
        }
        catch (Exception e) when (e is JsonException or KeyNotFoundException or InvalidOperationException)
        {
            throw new FormatException($"malformed decentralized metrics ({e.Message})", e);
        }
    }

    /// <summary>
    /// The rows as CSV: phase, epoch, iterations, consensus_rounds, lr, train_loss, consensus_distance, bytes_per_agent,
    /// cumulative_bytes_per_agent, min_weight, max_weight, then for each test set (named after the first row's sets)
    /// &lt;name&gt;_averaged, &lt;name&gt;_mean, &lt;name&gt;_min, &lt;name&gt;_max (empty when the agents were not evaluated),
    /// then weight_sum (<see cref="WeightSum"/>).
    /// </summary>
    public static string ToCsv(IReadOnlyList<DecentralizedMetrics> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var s = new StringBuilder("phase,epoch,iterations,consensus_rounds,lr,train_loss,consensus_distance,bytes_per_agent,cumulative_bytes_per_agent,min_weight,max_weight");
        if (rows.Count > 0)
            foreach (var t in rows[0].Tests) s.Append(CultureInfo.InvariantCulture, $",{t.Name}_averaged,{t.Name}_mean,{t.Name}_min,{t.Name}_max");
        s.Append(",weight_sum\n");
        foreach (var m in rows)
        {
            s.Append(CultureInfo.InvariantCulture, $"{(m.Phase == DecentralizedPhase.Training ? "training" : "consensus")},{m.Epoch},{m.Iterations},{m.ConsensusRounds},");
            s.Append(CultureInfo.InvariantCulture, $"{m.Lr:G6},{m.TrainLoss:F5},{m.ConsensusDistance:G6},{m.BytesPerAgent:F0},{m.CumulativeBytesPerAgent:F0},{m.MinWeight:G6},{m.MaxWeight:G6}");
            foreach (var t in m.Tests)
                s.Append(CultureInfo.InvariantCulture, $",{t.AveragedAccuracy:F5},{t.MeanAccuracy:F5},{t.MinAccuracy:F5},{t.MaxAccuracy:F5}");
            s.Append(CultureInfo.InvariantCulture, $",{m.WeightSum:R}\n");
        }
        return s.ToString();
    }

    private static void Number(Utf8JsonWriter json, string name, double? value)
    {
        if (value is not { } v) json.WriteNull(name);
        else if (double.IsFinite(v)) json.WriteNumber(name, v);
        else json.WriteString(name, v.ToString(CultureInfo.InvariantCulture));
    }

    private static double Read(JsonElement e, string name) => ReadOptional(e, name) ?? throw new FormatException($"'{name}' is null");

    private static double? ReadOptional(JsonElement e, string name)
    {
        var p = e.GetProperty(name);
        return p.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => double.Parse(p.GetString()!, CultureInfo.InvariantCulture),
            _ => p.GetDouble(),
        };
    }
}
