using System.Runtime.InteropServices;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Ledger;

/// <summary>
/// Ledger entries as bytes, for a checkpoint or a message: six little-endian int64 per entry (round, sender, receiver,
/// kind, bytes, phase).
/// </summary>
public static class LedgerRows
{
    /// <summary>Columns per entry.</summary>
    public const int Columns = 6;

    /// <summary>The bytes of <paramref name="entries"/>.</summary>
    public static byte[] ToBytes(IEnumerable<LedgerEntry> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        var rows = entries.SelectMany(e => new long[] { e.Round, e.Sender, e.Receiver, (long)e.Kind, e.Bytes, (long)e.Phase }).ToArray();
        return MemoryMarshal.AsBytes(rows.AsSpan()).ToArray();
    }

    /// <summary>The entries of <see cref="ToBytes"/>' output; throws <see cref="FormatException"/> when the bytes are not whole rows.</summary>
    public static List<LedgerEntry> FromBytes(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length % (8 * Columns) != 0) throw new FormatException($"ledger rows: {bytes.Length} bytes are not whole rows of {Columns} int64");
        var rows = MemoryMarshal.Cast<byte, long>(bytes);
        var entries = new List<LedgerEntry>(rows.Length / Columns);
        for (int i = 0; i < rows.Length; i += Columns)
            entries.Add(new LedgerEntry((int)rows[i], (int)rows[i + 1], (int)rows[i + 2], (MessageKind)rows[i + 3], rows[i + 4], (MessagePhase)rows[i + 5]));
        return entries;
    }
}
