namespace NanoFed.Federation.Transport;

/// <summary>
/// What a node accepts from the network, checked on every received message before anything uses it: a bound on the
/// serialized size (checked while the bytes arrive, before they are parsed), the wire format's own checks
/// (<see cref="WireFormat.Deserialize"/>), a bound on the tensor count, every tensor known by name (no duplicates)
/// and matching its <see cref="TensorSpec"/>, and optionally every float finite, so that a NaN or an infinity
/// cannot poison an aggregate. A rejection gives one line saying what is wrong; the message never reaches an
/// inbox or a handler. Pure and thread-safe: a transport, a gossip peer or a server shares one instance.
/// </summary>
public sealed class MessageSchema
{
    private readonly Dictionary<string, TensorSpec> _tensors;

    /// <summary>
    /// Accepts messages of at most <paramref name="maxMessageBytes"/> serialized bytes carrying at most
    /// <paramref name="maxTensors"/> tensors, each described by one of <paramref name="tensors"/>; with
    /// <paramref name="requireFinite"/>, every float value and scale must be finite.
    /// </summary>
    public MessageSchema(IEnumerable<TensorSpec> tensors, long maxMessageBytes, int maxTensors, bool requireFinite = true)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxMessageBytes, WireFormat.MessageHeaderBytes);
        ArgumentOutOfRangeException.ThrowIfNegative(maxTensors);
        _tensors = [];
        foreach (var spec in tensors)
            if (!_tensors.TryAdd(spec.Name, spec)) throw new ArgumentException($"tensor '{spec.Name}' is described twice", nameof(tensors));
        MaxMessageBytes = maxMessageBytes;
        MaxTensors = maxTensors;
        RequireFinite = requireFinite;
    }

    /// <summary>The largest serialized message accepted, in bytes.</summary>
    public long MaxMessageBytes { get; }

    /// <summary>The largest tensor count accepted in one message.</summary>
    public int MaxTensors { get; }

    /// <summary>Whether every float value and scale must be finite.</summary>
    public bool RequireFinite { get; }

    /// <summary>The accepted tensors, by name.</summary>
    public IReadOnlyDictionary<string, TensorSpec> Tensors => _tensors;

    /// <summary>
    /// One spec per named tensor (e.g. a model's <c>NamedParameters</c> data), each of exactly its shape, in one of
    /// <paramref name="encodings"/>.
    /// </summary>
    public static IEnumerable<TensorSpec> For(IEnumerable<(string Name, Tensor Value)> tensors, params WireEncoding[] encodings)
    {
        ArgumentNullException.ThrowIfNull(tensors);
        return tensors.Select(t => TensorSpec.Of(t.Name, t.Value.Shape, encodings));
    }

    /// <summary>Whether a message of <paramref name="bytes"/> serialized bytes may be received at all.</summary>
    public bool AcceptsSize(long bytes, out string reason)
    {
        reason = bytes > MaxMessageBytes ? $"message of {bytes}+ bytes exceeds the limit of {MaxMessageBytes}" : "";
        return reason.Length == 0;
    }

    /// <summary>
    /// Parses <paramref name="bytes"/> and checks the message: size, wire format, then <see cref="Accepts(Message, out string)"/>.
    /// On rejection <paramref name="message"/> is null and <paramref name="reason"/> says why in one line.
    /// </summary>
    public bool Accepts(ReadOnlySpan<byte> bytes, out Message? message, out string reason)
    {
        message = null;
        if (!AcceptsSize(bytes.Length, out reason)) return false;
        Message parsed;
        try { parsed = WireFormat.Deserialize(bytes); }
        catch (FormatException e)
        {
            reason = $"malformed: {e.Message}";
            return false;
        }
        if (!Accepts(parsed, out reason)) return false;
        message = parsed;
        return true;
    }

    /// <summary>Checks a parsed message against the schema; <paramref name="reason"/> says why it is rejected (one line).</summary>
    public bool Accepts(Message message, out string reason)
    {
        ArgumentNullException.ThrowIfNull(message);
        reason = Check(message) ?? "";
        return reason.Length == 0;
    }

    private string? Check(Message message)
    {
        if (message.Payload.Count > MaxTensors) return $"{message.Payload.Count} tensors, at most {MaxTensors} accepted";
        var seen = new HashSet<string>();
        for (int i = 0; i < message.Payload.Count; i++)
        {
            var t = message.Payload[i];
            if (!_tensors.TryGetValue(t.Name, out var spec)) return $"tensor {i} '{t.Name}': unknown tensor";
            if (!seen.Add(t.Name)) return $"tensor {i} '{t.Name}': appears twice";
            var problem = spec.Mismatch(t) ?? (RequireFinite ? NonFinite(t) : null);
            if (problem != null) return $"tensor {i} '{t.Name}': {problem}";
        }
        long size = WireFormat.Size(message);
        return AcceptsSize(size, out var reason) ? null : reason;
    }

    private static string? NonFinite(WireTensor t)
    {
        int v = IndexOfNonFinite(t.Values), s = IndexOfNonFinite(t.Scales);
        if (v >= 0) return $"value {t.Values[v]} at entry {v} is not finite";
        return s >= 0 ? $"scale {t.Scales[s]} at entry {s} is not finite" : null;
    }

    private static int IndexOfNonFinite(float[] values)
    {
        for (int i = 0; i < values.Length; i++)
            if (!float.IsFinite(values[i])) return i;
        return -1;
    }
}
