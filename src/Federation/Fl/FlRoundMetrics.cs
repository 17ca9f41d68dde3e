using System.Globalization;
using System.Text;

namespace NanoFed.Federation.Fl;

/// <summary>One round's metrics as the <see cref="FlRunner"/> reports them.</summary>
/// <param name="Round">Round number (1-based).</param>
/// <param name="Clients">The sampled clients.</param>
/// <param name="Accuracy">Global-model accuracy on the test set after the round.</param>
/// <param name="Loss">Global-model mean cross-entropy on the test set after the round.</param>
/// <param name="Bytes">Bytes the ledger recorded in this round.</param>
/// <param name="CumulativeBytes">Bytes the ledger recorded up to and including this round.</param>
/// <param name="Seconds">Simulated time of this round (its critical path).</param>
/// <param name="CumulativeSeconds">Simulated time up to and including this round.</param>
public sealed record FlRoundMetrics(int Round, IReadOnlyList<int> Clients, double Accuracy, double Loss, long Bytes, long CumulativeBytes,
    double Seconds, double CumulativeSeconds)
{
    /// <summary>The rounds as CSV (invariant culture, round-trip doubles; clients separated by spaces).</summary>
    public static string ToCsv(IEnumerable<FlRoundMetrics> rounds)
    {
        ArgumentNullException.ThrowIfNull(rounds);
        var sb = new StringBuilder("round,accuracy,loss,bytes,cumulative_bytes,seconds,cumulative_seconds,clients\n");
        foreach (var r in rounds)
            sb.Append(CultureInfo.InvariantCulture,
                $"{r.Round},{r.Accuracy:R},{r.Loss:R},{r.Bytes},{r.CumulativeBytes},{r.Seconds:R},{r.CumulativeSeconds:R},{string.Join(' ', r.Clients)}\n");
        return sb.ToString();
    }
}
