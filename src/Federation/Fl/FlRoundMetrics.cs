using System.Globalization;
using System.Text;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Fl;

/// <summary>One round's metrics as the <see cref="FlRunner"/> reports them.</summary>
/// <param name="Round">Round number (1-based).</param>
/// <param name="Clients">The sampled clients.</param>
/// <param name="Accuracy">Global-model accuracy on the first test set after the round.</param>
/// <param name="Loss">Global-model mean cross-entropy on the first test set after the round.</param>
/// <param name="Bytes">Bytes the ledger recorded in this round.</param>
/// <param name="CumulativeBytes">Bytes the ledger recorded up to and including this round.</param>
/// <param name="Seconds">Simulated time of this round (its critical path).</param>
/// <param name="CumulativeSeconds">Simulated time up to and including this round.</param>
/// <param name="Tests">The global model on every test set after the round, in the runner's order.</param>
public sealed record FlRoundMetrics(int Round, IReadOnlyList<int> Clients, double Accuracy, double Loss, long Bytes, long CumulativeBytes,
    double Seconds, double CumulativeSeconds, IReadOnlyList<TestMetrics> Tests)
{
    /// <summary>
    /// The rounds as CSV (invariant culture, round-trip doubles; clients separated by spaces), with an accuracy and a
    /// loss column per test set named after it, taken from the first round.
    /// </summary>
    public static string ToCsv(IEnumerable<FlRoundMetrics> rounds)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        var list = rounds.ToList();
        var sb = new StringBuilder("round,accuracy,loss,bytes,cumulative_bytes,seconds,cumulative_seconds");
        var names = list.Count == 0 ? [] : list[0].Tests.Select(t => t.Name).ToList();
        foreach (var name in names) sb.Append(CultureInfo.InvariantCulture, $",{name}_accuracy,{name}_loss");
        sb.Append(",clients\n");
        foreach (var r in list)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"{r.Round},{r.Accuracy:R},{r.Loss:R},{r.Bytes},{r.CumulativeBytes},{r.Seconds:R},{r.CumulativeSeconds:R}");
            foreach (var t in r.Tests) sb.Append(CultureInfo.InvariantCulture, $",{t.Accuracy:R},{t.Loss:R}");
            sb.Append(CultureInfo.InvariantCulture, $",{string.Join(' ', r.Clients)}\n");
        }
        return sb.ToString();
    }
}
