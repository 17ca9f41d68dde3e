using System.Runtime.InteropServices;

namespace NanoFed.Nets.Checkpoints;

/// <summary>The element types NanoFed reads and writes in safetensors files (the format's dtype strings).</summary>
public enum SafeTensorDType
{
    /// <summary>32-bit float: parameters, activations, running statistics.</summary>
    F32,

    /// <summary>64-bit signed integer: PyTorch's num_batches_tracked and other counters.</summary>
    I64,

    /// <summary>32-bit signed integer.</summary>
    I32,

    /// <summary>Unsigned byte: opaque state such as RNG keys.</summary>
    U8,
}

/// <summary>
/// One named tensor of a safetensors file, as raw little-endian bytes of its dtype: the form that keeps
/// integer buffers exact. <see cref="SafeTensors.Read(string)"/> offers the float view most code wants.
/// </summary>
public sealed class SafeTensor
{
    /// <summary>Wraps <paramref name="data"/> (not copied), which must hold exactly shape's elements of <paramref name="dtype"/>.</summary>
    public SafeTensor(string name, SafeTensorDType dtype, int[] shape, byte[] data)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(shape);
        ArgumentNullException.ThrowIfNull(data);
        long bytes = ElementCount(shape) * SizeOf(dtype);
        if (bytes != data.LongLength)
            throw new ArgumentException($"tensor {name}: shape [{string.Join(", ", shape)}] of {dtype} is {bytes} bytes, data holds {data.LongLength}", nameof(data));
        Name = name;
        DType = dtype;
        Shape = shape;
        Data = data;
    }

    /// <summary>The tensor's name (a PyTorch state_dict key for model checkpoints).</summary>
    public string Name { get; }

    /// <summary>Element type.</summary>
    public SafeTensorDType DType { get; }

    /// <summary>Dimensions.</summary>
    public int[] Shape { get; }

    /// <summary>The elements, row-major, little-endian.</summary>
    public byte[] Data { get; }

    /// <summary>An F32 entry holding a copy of <paramref name="value"/>.</summary>
    public static SafeTensor FromTensor(string name, Tensor value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return new SafeTensor(name, SafeTensorDType.F32, value.Shape.ToArray(), MemoryMarshal.AsBytes(value.Span).ToArray());
    }

    /// <summary>An I64 entry holding a copy of <paramref name="values"/> with <paramref name="shape"/>.</summary>
    public static SafeTensor FromInt64(string name, ReadOnlySpan<long> values, params int[] shape) =>
        new(name, SafeTensorDType.I64, shape, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>An I32 entry holding a copy of <paramref name="values"/> with <paramref name="shape"/>.</summary>
    public static SafeTensor FromInt32(string name, ReadOnlySpan<int> values, params int[] shape) =>
        new(name, SafeTensorDType.I32, shape, MemoryMarshal.AsBytes(values).ToArray());

    /// <summary>A U8 entry holding a copy of <paramref name="values"/> with <paramref name="shape"/>.</summary>
    public static SafeTensor FromBytes(string name, ReadOnlySpan<byte> values, params int[] shape) =>
        new(name, SafeTensorDType.U8, shape, values.ToArray());

    /// <summary>The elements widened to 64-bit integers (I64, I32 or U8 entries).</summary>
    public long[] ToInt64()
    {
        return DType switch
        {
            SafeTensorDType.I64 => MemoryMarshal.Cast<byte, long>(Data).ToArray(),
            SafeTensorDType.I32 => Array.ConvertAll(MemoryMarshal.Cast<byte, int>(Data).ToArray(), v => (long)v),
            SafeTensorDType.U8 => Array.ConvertAll(Data, v => (long)v),
            _ => throw new InvalidOperationException($"tensor {Name} is {DType}, not an integer type"),
        };
    }

    /// <summary>
    /// A new (unpooled) float tensor of the elements. Integer elements are converted; one that float32 cannot
    /// hold exactly (|v| above 2^24 and not representable) throws, rather than changing silently.
    /// </summary>
    public Tensor ToTensor()
    {
        if (Shape.Length > NanoFed.Shape.MaxRank)
            throw new InvalidOperationException($"tensor {Name} has rank {Shape.Length}; a Tensor holds at most {NanoFed.Shape.MaxRank} dimensions");
        var shape = new Shape(Shape);
        if (DType == SafeTensorDType.F32)
            return Tensor.FromArray(MemoryMarshal.Cast<byte, float>(Data).ToArray(), shape);
        long[] values = ToInt64();
        var floats = new float[values.Length];
        for (int i = 0; i < values.Length; i++)
        {
            floats[i] = values[i];
            if ((long)floats[i] != values[i])
                throw new InvalidOperationException($"tensor {Name} ({DType}) holds {values[i]}, which float32 cannot represent exactly; read it with SafeTensors.ReadRaw");
        }
        return Tensor.FromArray(floats, shape);
    }

    /// <summary>Bytes per element of <paramref name="dtype"/>.</summary>
    public static int SizeOf(SafeTensorDType dtype) => dtype switch
    {
        SafeTensorDType.F32 or SafeTensorDType.I32 => 4,
        SafeTensorDType.I64 => 8,
        SafeTensorDType.U8 => 1,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    internal static long ElementCount(ReadOnlySpan<int> shape)
    {
        long n = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"dimension {d} is negative", nameof(shape));
            n = checked(n * d);
        }
        return n;
    }
}
