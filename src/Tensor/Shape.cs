using System.Runtime.CompilerServices;

namespace NanoFed;

/// <summary>
/// The dimensions of a dense row-major tensor, held inline (no heap array) so that creating a shape
/// in a training step allocates nothing. At most <see cref="MaxRank"/> dimensions.
/// </summary>
public readonly struct Shape : IEquatable<Shape>
{
    /// <summary>The largest rank a shape can have.</summary>
    public const int MaxRank = 6;

    [InlineArray(MaxRank)]
    private struct Dims
    {
        private int _element0;
    }

    private readonly Dims _dims;

    /// <summary>Number of dimensions.</summary>
    public int Rank { get; }

    /// <summary>Creates a shape from its dimensions; each must be non-negative.</summary>
    public Shape(params ReadOnlySpan<int> dims)
    {
        if (dims.Length > MaxRank)
            throw new ArgumentException($"a shape has at most {MaxRank} dimensions, got {dims.Length}", nameof(dims));
        Rank = dims.Length;
        for (int i = 0; i < dims.Length; i++)
        {
            if (dims[i] < 0)
                throw new ArgumentException($"dimension {i} is negative ({dims[i]})", nameof(dims));
            _dims[i] = dims[i];
        }
    }

    /// <summary>The size of dimension <paramref name="axis"/>; negative axes count from the end.</summary>
    public int this[int axis]
    {
        get
        {
            int a = axis < 0 ? axis + Rank : axis;
            if ((uint)a >= (uint)Rank)
                throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} is out of range for a rank-{Rank} shape");
            return _dims[a];
        }
    }

    /// <summary>Total number of elements (1 for a rank-0 shape).</summary>
    public int Length
    {
        get
        {
            long n = 1;
            for (int i = 0; i < Rank; i++) n *= _dims[i];
            return checked((int)n);
        }
    }

    /// <summary>The dimensions as a new array (allocates; for messages and serialization).</summary>
    public int[] ToArray()
    {
        var a = new int[Rank];
        for (int i = 0; i < Rank; i++) a[i] = _dims[i];
        return a;
    }

    /// <summary>This shape with dimension <paramref name="axis"/> replaced by <paramref name="size"/>.</summary>
    public Shape With(int axis, int size)
    {
        Span<int> d = stackalloc int[MaxRank];
        for (int i = 0; i < Rank; i++) d[i] = _dims[i];
        d[axis < 0 ? axis + Rank : axis] = size;
        return new Shape(d[..Rank]);
    }

    /// <inheritdoc/>
    public bool Equals(Shape other)
    {
        if (Rank != other.Rank) return false;
        for (int i = 0; i < Rank; i++)
            if (_dims[i] != other._dims[i]) return false;
        return true;
    }

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is Shape s && Equals(s);

    /// <inheritdoc/>
    public override int GetHashCode()
    {
        var h = new HashCode();
        for (int i = 0; i < Rank; i++) h.Add(_dims[i]);
        return h.ToHashCode();
    }

    /// <summary>Shape equality.</summary>
    public static bool operator ==(Shape a, Shape b) => a.Equals(b);

    /// <summary>Shape inequality.</summary>
    public static bool operator !=(Shape a, Shape b) => !a.Equals(b);

    /// <summary>Formats as <c>[2, 3, 4]</c>.</summary>
    public override string ToString() => "[" + string.Join(", ", ToArray()) + "]";
}
