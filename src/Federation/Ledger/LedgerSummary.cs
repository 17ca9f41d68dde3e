using System.Globalization;
using System.Text;
using System.Text.Json;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Ledger;

/// <summary>
/// A run's traffic in brief: total bytes by message kind, and the mean per sampled client per round (the unit of the
/// spec's traffic table). The mean divides by every sampled client-round, so rounds in which a client sends
/// nothing (EcoFed's replay rounds) count as zero, as the spec's "averaged at P = 2" does.
/// </summary>
/// <param name="ByKind">Total bytes per message kind.</param>
/// <param name="ClientRounds">Sampled client-rounds (Σ over rounds of the clients sampled).</param>
public sealed record LedgerSummary(IReadOnlyDictionary<MessageKind, long> ByKind, long ClientRounds)
{
    /// <summary>Summarizes <paramref name="ledger"/> over <paramref name="clientRounds"/> sampled client-rounds.</summary>
    public static LedgerSummary Of(TrafficLedger ledger, long clientRounds)
    {
        ArgumentNullException.ThrowIfNull(ledger);
        ArgumentOutOfRangeException.ThrowIfNegative(clientRounds);
        return new LedgerSummary(ledger.ByKind(), clientRounds);
    }

    /// <summary>All bytes.</summary>
    public long Total => ByKind.Values.Sum();

    /// <summary>Mean bytes of <paramref name="kind"/> (all kinds if null) per sampled client per round; NaN with no client-rounds.</summary>
    public double PerClientRound(MessageKind? kind = null) =>
        ClientRounds == 0 ? double.NaN : (double)(kind is { } k ? ByKind.GetValueOrDefault(k) : Total) / ClientRounds;

    /// <summary>CSV "kind,bytes,per_client_round" with one line per kind present and a last line "all".</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("kind,bytes,per_client_round\n");
        foreach (var (kind, bytes) in ByKind.OrderBy(p => p.Key))
            sb.Append(CultureInfo.InvariantCulture, $"{kind},{bytes},{PerClientRound(kind):R}\n");
        sb.Append(CultureInfo.InvariantCulture, $"all,{Total},{PerClientRound():R}\n");
        return sb.ToString();
    }

    /// <summary>JSON <c>{"total", "client_rounds", "per_client_round", "by_kind": {kind: {"bytes", "per_client_round"}}}</c>.</summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
        {
            w.WriteStartObject();
            w.WriteNumber("total", Total);
            w.WriteNumber("client_rounds", ClientRounds);
            if (ClientRounds > 0) w.WriteNumber("per_client_round", PerClientRound());
            w.WriteStartObject("by_kind");
            foreach (var (kind, bytes) in ByKind.OrderBy(p => p.Key))
            {
                w.WriteStartObject(kind.ToString());
                w.WriteNumber("bytes", bytes);
                if (ClientRounds > 0) w.WriteNumber("per_client_round", PerClientRound(kind));
                w.WriteEndObject();
            }
            w.WriteEndObject();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }
}
