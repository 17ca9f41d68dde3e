namespace NanoFed.Federation.Compression;

/// <summary>How a <see cref="Payload"/> stores its n values.</summary>
public enum PayloadKind
{
    /// <summary>All n values as 32-bit floats.</summary>
    Dense,

    /// <summary>k (value, index) pairs; all other entries are zero.</summary>
    Sparse,

    /// <summary>n signed integer codes times one 32-bit scale.</summary>
    Quantized,
}

/// <summary>How the indices of a sparse payload are counted on the wire (specs/sparse-push.md, "Counting communication").</summary>
public enum IndexCoding
{
    /// <summary>32 bits per kept index (the spec's default).</summary>
    Int32,

    /// <summary>One bit per entry of the tensor: n bits, whatever k.</summary>
    Bitmap,

    /// <summary>
    /// Gaps g_j = idx_j − idx_(j−1) (idx_(−1) = −1, so g ≥ 1) in Elias-gamma code: 2·floor(log2 g) + 1 bits each.
    /// Depends on the indices, so the count is computed from the payload.
    /// </summary>
    EliasGammaDelta,
}

/// <summary>
/// One compressed tensor as it travels in a message: the dense values, the kept (value, index) pairs, or integer codes
/// with a scale. <see cref="AddTo"/> decodes it; the compressor that made it counts its bits.
/// </summary>
public sealed class Payload
{
    /// <summary>Number n of entries of the decoded tensor.</summary>
    public required int Length { get; init; }

    /// <summary>The storage kind.</summary>
    public required PayloadKind Kind { get; init; }

    /// <summary>Dense: n values; Sparse: k values (signed); Quantized: unused.</summary>
    public float[] Values { get; init; } = [];

    /// <summary>Sparse: k increasing indices.</summary>
    public int[] Indices { get; init; } = [];

    /// <summary>Quantized: n codes.</summary>
    public sbyte[] Codes { get; init; } = [];

    /// <summary>Quantized: the value of code 1.</summary>
    public float Scale { get; init; }

    /// <summary>The same payload with every decoded value multiplied by <paramref name="a"/> (values or the scale are scaled, the bit count is unchanged).</summary>
    public Payload Scaled(float a) => Kind == PayloadKind.Quantized
        ? new Payload { Length = Length, Kind = Kind, Codes = Codes, Scale = Scale * a }
        : new Payload { Length = Length, Kind = Kind, Values = Values.Select(v => v * a).ToArray(), Indices = Indices };

    /// <summary>dense[k] += decoded[k] for every stored entry (in index order).</summary>
    public void AddTo(Span<float> dense)
    {
        if (dense.Length != Length) throw new ArgumentException($"payload of length {Length} cannot be added to a span of length {dense.Length}", nameof(dense));
        switch (Kind)
        {
            case PayloadKind.Dense:
                for (int k = 0; k < Length; k++) dense[k] += Values[k];
                break;
            case PayloadKind.Sparse:
                for (int j = 0; j < Values.Length; j++) dense[Indices[j]] += Values[j];
                break;
            default:
                for (int k = 0; k < Length; k++) dense[k] += Codes[k] * Scale;
                break;
        }
    }

    /// <summary>Overwrites <paramref name="dense"/> with the decoded tensor.</summary>
    public void DecodeTo(Span<float> dense)
    {
        dense.Clear();
        AddTo(dense);
    }
}
