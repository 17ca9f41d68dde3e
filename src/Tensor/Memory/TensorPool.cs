namespace NanoFed.Memory;

/// <summary>
/// Reuses float buffers and <see cref="Tensor"/> objects so that a training step in steady state
/// allocates nothing: buffers are bucketed by exact length (a step asks for the same sizes every time).
/// A large length with no idle buffer borrows the shortest idle one less than twice as long, so that the last,
/// smaller batch of an epoch reuses the full batches' buffers instead of adding a set of its own; the tensor views
/// the buffer's head, and the buffer goes back to its own length's bucket. Thread-safe. Rented buffers hold stale data
/// unless the caller asks for zeros.
/// </summary>
public static class TensorPool
{
    private static readonly Dictionary<int, Stack<float[]>> Buffers = new();
    private static readonly Stack<Tensor> Shells = new();
    private static readonly Lock Gate = new();

    /// <summary>
    /// Shortest length (floats, 256 KB) that may borrow a longer buffer: activations of a batch are longer, and
    /// small tensors of unrelated work (parameters, statistics, tests running side by side) keep exact buckets.
    /// </summary>
    private const int MinBorrowLength = 1 << 16;

    /// <summary>Rents a tensor of <paramref name="shape"/>; its contents are zero when <paramref name="zero"/>, else unspecified.</summary>
    public static Tensor Rent(Shape shape, bool zero = true)
    {
        int length = shape.Length;
        float[]? buffer = null;
        Tensor? shell = null;
        lock (Gate)
        {
            buffer = Take(length);
            if (Shells.Count > 0) shell = Shells.Pop();
        }
        bool fresh = buffer is null;
        buffer ??= new float[length];
        if (zero && !fresh) Array.Clear(buffer, 0, length);
        shell ??= new Tensor();
        shell.Bind(buffer, 0, shape, owner: true, pooled: true);
        return shell;
    }

    /// <summary>
    /// An idle buffer of exactly <paramref name="length"/> floats, else (from <see cref="MinBorrowLength"/> on) the
    /// shortest idle one shorter than twice that, so a network's layer sizes, which differ by factors of 2 and more,
    /// never take each other's; else null. Called under <see cref="Gate"/>.
    /// </summary>
    private static float[]? Take(int length)
    {
        if (Buffers.TryGetValue(length, out var exact) && exact.Count > 0) return exact.Pop();
        if (length < MinBorrowLength) return null;
        Stack<float[]>? best = null;
        int bestLength = int.MaxValue;
        foreach (var (candidate, stack) in Buffers)
        {
            if (candidate > length && candidate - length < length && candidate < bestLength && stack.Count > 0)
            {
                best = stack;
                bestLength = candidate;
            }
        }
        return best?.Pop();
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
