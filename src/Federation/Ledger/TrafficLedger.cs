using System.Globalization;
using System.Text;
using System.Text.Json;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Ledger;

/// <summary>One recorded message: who sent what to whom in which round and phase, and its serialized size in bytes.</summary>
public readonly record struct LedgerEntry(int Round, int Sender, int Receiver, MessageKind Kind, long Bytes, MessagePhase Phase = MessagePhase.Training);

/// <summary>
/// Records every message's serialized size (the bytes a network would carry, see <see cref="WireFormat"/>) with
/// its round, sender, receiver and kind, and answers totals by kind, node, round and client-round. A node's
/// traffic counts every message it sends or receives. Node ids: clients 0..n−1, <see cref="Message.Server"/> = −1.
/// Not thread-safe.
/// </summary>
public sealed class TrafficLedger
{
    private readonly List<LedgerEntry> _entries = [];

    /// <summary>Every entry, in recording order.</summary>
    public IReadOnlyList<LedgerEntry> Entries => _entries;

    /// <summary>Records <paramref name="message"/> with its serialized size <paramref name="bytes"/>.</summary>
    public void Record(Message message, long bytes)
    {
        ArgumentNullException.ThrowIfNull(message);
        Record(new LedgerEntry(message.Round, message.Sender, message.Receiver, message.Kind, bytes, message.Phase));
    }

    /// <summary>Records one entry.</summary>
    public void Record(LedgerEntry entry)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(entry.Bytes);
        _entries.Add(entry);
    }

    /// <summary>All bytes recorded.</summary>
    public long Total() => _entries.Sum(e => e.Bytes);

    /// <summary>Bytes of messages of <paramref name="kind"/>.</summary>
    public long Total(MessageKind kind) => _entries.Where(e => e.Kind == kind).Sum(e => e.Bytes);

    /// <summary>Bytes of messages of <paramref name="phase"/>.</summary>
    public long Total(MessagePhase phase) => _entries.Where(e => e.Phase == phase).Sum(e => e.Bytes);

    /// <summary>Bytes per kind (kinds with no traffic are absent).</summary>
    public SortedDictionary<MessageKind, long> ByKind() => Group(e => e.Kind);

    /// <summary>Bytes sent per sender.</summary>
    public SortedDictionary<int, long> BySender() => Group(e => e.Sender);

    /// <summary>Bytes received per receiver.</summary>
    public SortedDictionary<int, long> ByReceiver() => Group(e => e.Receiver);

    /// <summary>Bytes per round.</summary>
    public SortedDictionary<int, long> ByRound() => Group(e => e.Round);

    /// <summary>Bytes sent (<paramref name="sent"/>) or received by <paramref name="node"/>, optionally only in <paramref name="round"/>.</summary>
    public long Node(int node, bool sent, int? round = null) =>
        _entries.Where(e => (sent ? e.Sender : e.Receiver) == node && (round is null || e.Round == round)).Sum(e => e.Bytes);

    /// <summary>
    /// Bytes per (round, client) where the client sent or received the message (both directions added; a message
    /// between two clients counts for each). The server (−1) is left out.
    /// </summary>
    public SortedDictionary<(int Round, int Client), long> PerClientPerRound()
    {
        var result = new SortedDictionary<(int, int), long>();
        foreach (var e in _entries)
        {
            if (e.Sender != Message.Server) Add(result, (e.Round, e.Sender), e.Bytes);
            if (e.Receiver != Message.Server && e.Receiver != e.Sender) Add(result, (e.Round, e.Receiver), e.Bytes);
        }
        return result;
    }

    /// <summary>Forgets every entry.</summary>
    public void Clear() => _entries.Clear();

    /// <summary>Forgets the entries after the first <paramref name="count"/>: the messages of work that is being redone.</summary>
    public void Truncate(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _entries.Count);
        _entries.RemoveRange(count, _entries.Count - count);
    }

    /// <summary>CSV with the header "round,sender,receiver,kind,phase,bytes", one line per entry.</summary>
    public string ToCsv()
    {
        var sb = new StringBuilder("round,sender,receiver,kind,phase,bytes\n");
        foreach (var e in _entries)
            sb.Append(CultureInfo.InvariantCulture, $"{e.Round},{e.Sender},{e.Receiver},{e.Kind},{e.Phase},{e.Bytes}\n");
        return sb.ToString();
    }

    /// <summary>
    /// JSON: <c>{"total": T, "byKind": {"Weights": B, ...}, "entries": [{"round":..,"sender":..,"receiver":..,"kind":"..","phase":"..","bytes":..}, ...]}</c>.
    /// Written with <see cref="Utf8JsonWriter"/> (no reflection).
    /// </summary>
    public string ToJson()
    {
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = false }))
        {
            w.WriteStartObject();
            w.WriteNumber("total", Total());
            w.WriteStartObject("byKind");
            foreach (var (kind, bytes) in ByKind()) w.WriteNumber(kind.ToString(), bytes);
            w.WriteEndObject();
            w.WriteStartArray("entries");
            foreach (var e in _entries)
            {
                w.WriteStartObject();
                w.WriteNumber("round", e.Round);
                w.WriteNumber("sender", e.Sender);
                w.WriteNumber("receiver", e.Receiver);
                w.WriteString("kind", e.Kind.ToString());
                w.WriteString("phase", e.Phase.ToString());
                w.WriteNumber("bytes", e.Bytes);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        }
        return Encoding.UTF8.GetString(stream.ToArray());
    }

    private SortedDictionary<TKey, long> Group<TKey>(Func<LedgerEntry, TKey> key) where TKey : notnull
    {
        var result = new SortedDictionary<TKey, long>();
        foreach (var e in _entries) Add(result, key(e), e.Bytes);
        return result;
    }

    private static void Add<TKey>(SortedDictionary<TKey, long> d, TKey key, long bytes) where TKey : notnull =>
        d[key] = d.GetValueOrDefault(key) + bytes;
}
