namespace NanoFed.Memory;

/// <summary>
/// Reuses float buffers and <see cref="Tensor"/> objects so that a training step in steady state
/// allocates nothing: buffers are bucketed by exact length (a step asks for the same sizes every time).
/// Thread-safe. Rented buffers hold stale data unless the caller asks for zeros.
/// </summary>
public static class TensorPool
{
    private static readonly Dictionary<int, Stack<float[]>> Buffers = new();
    private static readonly Stack<Tensor> Shells = new();
    private static readonly Lock Gate = new();

    /// <summary>Rents a tensor of <paramref name="shape"/>; its contents are zero when <paramref name="zero"/>, else unspecified.</summary>
    public static Tensor Rent(Shape shape, bool zero = true)
    {
        int length = shape.Length;
        float[]? buffer = null;
        Tensor? shell = null;
        lock (Gate)
        {
            if (Buffers.TryGetValue(length, out var stack) && stack.Count > 0) buffer = stack.Pop();
            if (Shells.Count > 0) shell = Shells.Pop();
        }
        bool fresh = buffer is null;
        buffer ??= new float[length];
        if (zero && !fresh) Array.Clear(buffer);
        shell ??= new Tensor();
        shell.Bind(buffer, 0, shape, owner: true, pooled: true);
        return shell;
    }

    /// <summary>Rents a tensor object that views <paramref name="source"/>'s storage with another shape of the same length.</summary>
    public static Tensor RentView(Tensor source, Shape shape)
    {
        Tensor.CheckViewShape(source, shape);
        Tensor? shell = null;
        lock (Gate)
        {
            if (Shells.Count > 0) shell = Shells.Pop();
        }
        shell ??= new Tensor();
        shell.Bind(source.Array, source.Offset, shape, owner: false, pooled: true);
        return shell;
    }

    /// <summary>Gives a rented tensor back: its buffer if it owns one, and the object itself. Called by <see cref="Tensor.Dispose"/>.</summary>
    internal static void Return(Tensor tensor)
    {
        lock (Gate)
        {
            if (tensor.OwnsStorage)
            {
                float[] buffer = tensor.Array;
                if (!Buffers.TryGetValue(buffer.Length, out var stack))
                    Buffers[buffer.Length] = stack = new Stack<float[]>();
                stack.Push(buffer);
            }
            tensor.Unbind();
            Shells.Push(tensor);
        }
    }

    /// <summary>
    /// Bytes of the float buffers the pool holds ready for reuse. Right after a tape's reset this is the largest
    /// set of tensors the step had rented at once, per length (what a step's peak memory is made of).
    /// </summary>
    public static long IdleBytes
    {
        get
        {
            lock (Gate)
            {
                long bytes = 0;
                foreach (var (length, stack) in Buffers) bytes += (long)length * sizeof(float) * stack.Count;
                return bytes;
            }
        }
    }

    /// <summary>Drops every pooled buffer (for example between experiments of different sizes).</summary>
    public static void Trim()
    {
        lock (Gate)
        {
            Buffers.Clear();
            Shells.Clear();
        }
    }
}
