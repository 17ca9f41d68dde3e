using System.Globalization;
using NanoFed.Federation.Ledger;
using NanoFed.Nets;
using NanoFed.Nets.Checkpoints;

namespace NanoFed.Federation.Fl;

/// <summary>
/// The server's checkpoint after a round: one safetensors file (written atomically: a temporary file, then a rename)
/// holding the strategy's state (<see cref="IFlStrategy.SaveState"/>), the ledger's entries ("ledger", int64,
/// rows of round, sender, receiver, kind, bytes, phase) and, as metadata, the method, the last round done and the
/// rounds' metrics (metrics.csv). Every random choice of a round is keyed by the seed and the round (sampling,
/// clients' streams, EcoFed's replay draws), so no stream position needs saving: a runner restored from it runs the
/// next round as the uninterrupted run would.
/// </summary>
public static class FlCheckpoint
{
    /// <summary>The checkpoint's file name in a run folder.</summary>
    public const string FileName = "checkpoint.safetensors";

    /// <summary>Name of the ledger's entries in the checkpoint.</summary>
    public const string LedgerName = "ledger";

    /// <summary>Writes the state of <paramref name="runner"/> after its last round to <paramref name="path"/>.</summary>
    public static void Write(FlRunner runner, string path)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var ledger = new SafeTensor(LedgerName, SafeTensorDType.I64, [runner.Ledger.Entries.Count, LedgerRows.Columns], LedgerRows.ToBytes(runner.Ledger.Entries));
        var tensors = new List<SafeTensor>(runner.Strategy.SaveState()) { ledger };
        var metadata = new Dictionary<string, string>
        {
            ["method"] = runner.Strategy.Name,
            ["round"] = runner.History.Count.ToString(CultureInfo.InvariantCulture),
            ["metrics"] = FlRoundMetrics.ToCsv(runner.History),
        };
        SafeTensors.WriteRaw(path, tensors, metadata);
    }

    /// <summary>
    /// Restores a fresh <paramref name="runner"/> (no round run, empty ledger) from <paramref name="path"/>; returns the
    /// last round done. A file of another method, or one that does not fit the strategy, raises a one-line error naming it.
    /// </summary>
    public static int Restore(FlRunner runner, string path)
    {
        ArgumentNullException.ThrowIfNull(runner);
        var (tensors, metadata) = SafeTensors.ReadRaw(path);
        try
        {
            if (!metadata.TryGetValue("method", out var method) || method != runner.Strategy.Name)
                throw new ArgumentException($"the checkpoint is of method '{method}', the run's is '{runner.Strategy.Name}'");
            if (!metadata.TryGetValue("metrics", out var csv) || !metadata.TryGetValue("round", out var roundText)
                || !int.TryParse(roundText, NumberStyles.None, CultureInfo.InvariantCulture, out int round))
                throw new ArgumentException("the checkpoint has no round or metrics");
            var history = round == 0 ? [] : FlRoundMetrics.FromCsv(csv);
            if (history.Count != round) throw new ArgumentException($"the checkpoint's metrics hold {history.Count} rounds, its round is {round}");
            if (!tensors.Remove(LedgerName, out var ledger) || ledger.DType != SafeTensorDType.I64 || ledger.Shape is not [_, LedgerRows.Columns])
                throw new ArgumentException($"the checkpoint has no int64 ledger of {LedgerRows.Columns} columns");
            runner.Strategy.LoadState(tensors);
            runner.Restore(history, LedgerRows.FromBytes(ledger.Data));
            return round;
        }
        catch (Exception e) when (e is ArgumentException or FormatException or InvalidOperationException)
        {
            throw new DataFormatException(path, $"cannot resume from it: {e.Message}", e);
        }
    }
}
