namespace NanoFed.Federation.Gossip;

/// <summary>The split of a flat parameter vector into tensors (compression is per tensor, specs/sparse-push.md).</summary>
public sealed class TensorLayout
{
    /// <summary>Tensors of the given sizes, laid out back to back.</summary>
    public TensorLayout(params int[] sizes)
    {
        ArgumentNullException.ThrowIfNull(sizes);
        if (sizes.Length == 0 || sizes.Any(s => s < 1)) throw new ArgumentException($"tensor sizes must be positive and non-empty, got [{string.Join(", ", sizes)}]", nameof(sizes));
        Sizes = sizes.ToArray();
        Offsets = new int[sizes.Length];
        for (int l = 1; l < sizes.Length; l++) Offsets[l] = Offsets[l - 1] + sizes[l - 1];
        Total = Offsets[^1] + sizes[^1];
    }

    /// <summary>n_l of every tensor.</summary>
    public int[] Sizes { get; }

    /// <summary>Start of every tensor in the flat vector.</summary>
    public int[] Offsets { get; }

    /// <summary>Sum of the sizes.</summary>
    public int Total { get; }

    /// <summary>Number of tensors.</summary>
    public int Count => Sizes.Length;

    /// <summary>Tensor <paramref name="l"/> of <paramref name="flat"/>.</summary>
    public Span<float> Slice(Span<float> flat, int l) => flat.Slice(Offsets[l], Sizes[l]);

    /// <summary>Checks that <paramref name="length"/> matches <see cref="Total"/>.</summary>
    public void Check(int length)
    {
        if (length != Total) throw new ArgumentException($"vector of length {length} does not match the tensor layout of total {Total} ([{string.Join(", ", Sizes)}])");
    }
}
