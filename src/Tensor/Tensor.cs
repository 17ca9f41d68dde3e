using NanoFed.Memory;

namespace NanoFed;

/// <summary>
/// A dense, row-major float32 tensor: a <see cref="NanoFed.Shape"/> over a contiguous range of a float array.
/// Activations are (N, C, H, W), filters (K, C, R, S). Views (<see cref="Reshape"/>) share storage with their
/// source and never copy; only the tensor that owns its storage gives it back to the pool on <see cref="Dispose"/>,
/// so dispose views before (or instead of) their source.
/// </summary>
public sealed class Tensor : IDisposable
{
    private float[] _array = [];
    private int _offset;
    private Shape _shape;
    private bool _owner;
    private bool _pooled;

    internal Tensor() { }

    /// <summary>The dimensions.</summary>
    public Shape Shape => _shape;

    /// <summary>Number of elements.</summary>
    public int Length { get; private set; }

    /// <summary>Rank (number of dimensions).</summary>
    public int Rank => _shape.Rank;

    /// <summary>The elements, row-major.</summary>
    public Span<float> Span => _array.AsSpan(_offset, Length);

    /// <summary>The array that holds the elements, starting at <see cref="Offset"/>.</summary>
    public float[] Array => _array;

    /// <summary>Index of the first element in <see cref="Array"/>.</summary>
    public int Offset => _offset;

    internal bool OwnsStorage => _owner;

    /// <summary>A pooled tensor of zeros.</summary>
    public static Tensor Zeros(Shape shape) => TensorPool.Rent(shape, zero: true);

    /// <summary>A pooled tensor whose contents are unspecified (the caller overwrites every element).</summary>
    public static Tensor Uninitialized(Shape shape) => TensorPool.Rent(shape, zero: false);

    /// <summary>A pooled tensor filled with <paramref name="value"/>.</summary>
    public static Tensor Full(Shape shape, float value)
    {
        var t = Uninitialized(shape);
        t.Span.Fill(value);
        return t;
    }

    /// <summary>Wraps <paramref name="values"/> (not copied, not pooled) with <paramref name="shape"/>.</summary>
    public static Tensor FromArray(float[] values, Shape shape)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length != shape.Length)
            throw new ArgumentException($"{values.Length} values do not fill shape {shape} ({shape.Length} elements)", nameof(values));
        var t = new Tensor();
        t.Bind(values, 0, shape, owner: false, pooled: false);
        return t;
    }

    /// <summary>A pooled copy of this tensor.</summary>
    public Tensor Clone()
    {
        var t = Uninitialized(_shape);
        Span.CopyTo(t.Span);
        return t;
    }

    /// <summary>A view of the same elements with another shape of the same length (no copy).</summary>
    public Tensor Reshape(Shape shape)
    {
        CheckViewShape(this, shape);
        var t = new Tensor();
        t.Bind(_array, _offset, shape, owner: false, pooled: false);
        return t;
    }

    /// <summary>A view of items [<paramref name="start"/>, <paramref name="start"/> + <paramref name="count"/>) along the first axis (no copy).</summary>
    public Tensor SliceFirst(int start, int count)
    {
        int n = Rank == 0 ? 0 : _shape[0];
        if (start < 0 || count < 0 || start + count > n)
            throw new ArgumentOutOfRangeException(nameof(start), $"items [{start}, {start + count}) are outside the first axis of {_shape}");
        int inner = n == 0 ? 0 : Length / n;
        var t = new Tensor();
        t.Bind(_array, _offset + start * inner, _shape.With(0, count), owner: false, pooled: false);
        return t;
    }

    /// <summary>Copies the elements into a new array.</summary>
    public float[] ToArray() => Span.ToArray();

    /// <summary>Returns pooled storage to the pool. The tensor must not be used afterwards.</summary>
    public void Dispose()
    {
        if (_pooled)
        {
            _pooled = false;
            TensorPool.Return(this);
        }
    }

    /// <summary>Describes the shape.</summary>
    public override string ToString() => $"Tensor{_shape}";

    internal void Bind(float[] array, int offset, Shape shape, bool owner, bool pooled)
    {
        _pooled = pooled;
        _array = array;
        _offset = offset;
        _shape = shape;
        Length = shape.Length;
        _owner = owner;
    }

    internal void Unbind()
    {
        _array = [];
        _offset = 0;
        _shape = default;
        Length = 0;
        _owner = false;
        _pooled = false;
    }

    /// <summary>Changes the shape in place to one of the same length (for pooled intermediates).</summary>
    internal void SetShape(Shape shape)
    {
        CheckViewShape(this, shape);
        _shape = shape;
    }

    internal static void CheckViewShape(Tensor source, Shape shape)
    {
        if (shape.Length != source.Length)
            throw new ArgumentException($"cannot view {source.Shape} ({source.Length} elements) as {shape} ({shape.Length} elements)", nameof(shape));
    }
}
