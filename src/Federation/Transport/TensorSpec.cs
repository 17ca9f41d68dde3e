namespace NanoFed.Federation.Transport;

/// <summary>
/// What a node accepts under one tensor name: a rank, each dimension fixed or free (<see cref="AnyDim"/>, e.g. the
/// batch dimension of activations), the encodings it can decode, and a bound on the element count that caps what
/// the free dimensions may claim. Part of a <see cref="MessageSchema"/>.
/// </summary>
public sealed class TensorSpec
{
    /// <summary>A dimension of any size (still bounded by <see cref="MaxElements"/>).</summary>
    public const int AnyDim = -1;

    private readonly int[] _dims;

    /// <summary>
    /// A tensor named <paramref name="name"/> with dimensions <paramref name="dims"/> (each ≥ 0, or
    /// <see cref="AnyDim"/>), in one of <paramref name="encodings"/>, of at most <paramref name="maxElements"/> elements.
    /// </summary>
    public TensorSpec(string name, IReadOnlyList<int> dims, IReadOnlyCollection<WireEncoding> encodings, long maxElements = int.MaxValue)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(dims);
        ArgumentNullException.ThrowIfNull(encodings);
        if (dims.Any(d => d < AnyDim)) throw new ArgumentException($"tensor '{name}': dimensions [{string.Join(", ", dims)}] must be >= 0 or AnyDim", nameof(dims));
        if (encodings.Count == 0) throw new ArgumentException($"tensor '{name}': no encoding accepted", nameof(encodings));
        foreach (var e in encodings)
            if (!Enum.IsDefined(e)) throw new ArgumentOutOfRangeException(nameof(encodings), e, $"tensor '{name}': unknown encoding");
        ArgumentOutOfRangeException.ThrowIfNegative(maxElements);
        Name = name;
        _dims = [.. dims];
        Encodings = new HashSet<WireEncoding>(encodings);
        MaxElements = maxElements;
    }

    /// <summary>A tensor of exactly <paramref name="shape"/> in one of <paramref name="encodings"/>.</summary>
    public static TensorSpec Of(string name, Shape shape, params WireEncoding[] encodings) =>
        new(name, shape.ToArray(), encodings, shape.Length);

    /// <summary>The tensor's name.</summary>
    public string Name { get; }

    /// <summary>The dimensions; <see cref="AnyDim"/> where any size is accepted.</summary>
    public IReadOnlyList<int> Dims => _dims;

    /// <summary>The encodings accepted.</summary>
    public IReadOnlySet<WireEncoding> Encodings { get; }

    /// <summary>The largest element count accepted.</summary>
    public long MaxElements { get; }

    /// <summary>Why <paramref name="tensor"/> does not fit this spec (one line), or null if it does.</summary>
    public string? Mismatch(WireTensor tensor)
    {
        ArgumentNullException.ThrowIfNull(tensor);
        if (!Encodings.Contains(tensor.Encoding))
            return $"encoding {tensor.Encoding}, accepted: {string.Join(", ", Encodings.Order())}";
        var shape = tensor.Shape;
        bool fits = shape.Rank == _dims.Length;
        for (int i = 0; fits && i < _dims.Length; i++) fits = _dims[i] == AnyDim || _dims[i] == shape[i];
        if (!fits) return $"shape {shape}, expected {Pattern()}";
        if (shape.Length > MaxElements) return $"{shape.Length} elements, at most {MaxElements} accepted";
        return null;
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Name} {Pattern()} {string.Join("|", Encodings.Order())}";

    private string Pattern() => "[" + string.Join(", ", _dims.Select(d => d == AnyDim ? "*" : d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}
