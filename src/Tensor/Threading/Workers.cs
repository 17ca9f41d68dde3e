using System.Runtime.ExceptionServices;

namespace NanoFed.Threading;

/// <summary>One unit of parallel work: <see cref="Invoke"/> runs item <c>index</c> of a loop.</summary>
public interface IParallelBody
{
    /// <summary>Runs item <paramref name="index"/>. Items must be independent and write disjoint outputs.</summary>
    void Invoke(int index);
}

/// <summary>
/// The engine's worker threads. <see cref="For{TBody}"/> hands out the items of a loop to
/// <see cref="Count"/> threads (the caller included). Which thread runs an item never changes what the
/// item computes, so kernels that give each item a fixed slice of the output (never a share of a
/// reduction that depends on the thread count) produce bit-identical results for any <see cref="Count"/>.
/// A call made from inside a running item, or while another thread's loop is running, runs serially on
/// the calling thread. No allocation per call.
/// </summary>
/// <remarks>
/// Thread t starts on the t-th contiguous share of the items and, once its share is done, takes items from the
/// back of the others' shares. Kernels that split a batch into items in image order therefore find each image's
/// data in the cache of the core that produced it in the previous kernel, while a thread that falls behind
/// still gets help. On a guest whose two cores sit on different dies, handing items out first come first served
/// instead moved most activations between the dies (measured in docs/performance.md, "The measurements behind the kernels' choices").
/// </remarks>
public static class Workers
{
    /// <summary>Longs per share slot: one 64-byte cache line, so owners and thieves of different shares never collide.</summary>
    private const int SlotStride = 8;

    private static readonly Lock Gate = new();
    private static readonly List<SemaphoreSlim> Starts = [];
    private static readonly long[] Shares = new long[64 * SlotStride];
    private static int _count = DefaultCount();
    private static Action<int>? _runner;
    private static int _participants;
    private static int _pending;
    private static ExceptionDispatchInfo? _failure;

    [ThreadStatic]
    private static bool _insideLoop;

    /// <summary>
    /// Number of threads that run a loop, the caller included: 1 to 64. Defaults to the environment
    /// variable NANOFED_THREADS, or else the processor count.
    /// </summary>
    public static int Count
    {
        get => _count;
        set
        {
            if (value is < 1 or > 64)
                throw new ArgumentOutOfRangeException(nameof(value), $"thread count must be 1..64, got {value}");
            lock (Gate) _count = value;
        }
    }

    /// <summary>
    /// How many threads a loop started here would run on: 1 inside a running item (a nested loop runs serially),
    /// else <see cref="Count"/>. A plan measured for one is not the plan for the other.
    /// </summary>
    internal static int Available => _insideLoop ? 1 : _count;

    /// <summary>Runs <c>body.Invoke(i)</c> for every i in [0, <paramref name="count"/>).</summary>
    public static void For<TBody>(int count, in TBody body) where TBody : struct, IParallelBody
    {
        if (count <= 0) return;
        if (count == 1 || _count == 1 || _insideLoop || !Gate.TryEnter())
        {
            RunSerial(count, in body);
            return;
        }
        try
        {
            Job<TBody>.Body = body;
            Run(count, Job<TBody>.Runner);
            Job<TBody>.Body = default;
        }
        finally
        {
            Gate.Exit();
        }
    }

    private static void RunSerial<TBody>(int count, in TBody body) where TBody : struct, IParallelBody
    {
        bool outer = _insideLoop;
        _insideLoop = true;
        try
        {
            var copy = body;
            for (int i = 0; i < count; i++) copy.Invoke(i);
        }
        finally
        {
            _insideLoop = outer;
        }
    }

    private static void Run(int count, Action<int> runner)
    {
        int participants = Math.Min(_count, count);
        EnsureThreads(participants - 1);
        for (int t = 0; t < participants; t++)
            Shares[t * SlotStride] = Share((int)((long)t * count / participants), (int)((long)(t + 1) * count / participants));
        _runner = runner;
        _participants = participants;
        _failure = null;
        Volatile.Write(ref _pending, participants);
        for (int t = 1; t < participants; t++) Starts[t - 1].Release();
        Work(0);
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
        _runner = null;
        _failure?.Throw();
    }

    /// <summary>Runs thread <paramref name="t"/>'s share from the front, then the others' shares from the back.</summary>
    private static void Work(int t)
    {
        _insideLoop = true;
        try
        {
            var runner = _runner!;
            int participants = _participants, i;
            while ((i = Take(t, fromBack: false)) >= 0) runner(i);
            for (int k = 1; k < participants; k++)
                while ((i = Take((t + k) % participants, fromBack: true)) >= 0) runner(i);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            for (int u = 0; u < _participants; u++) Volatile.Write(ref Shares[u * SlotStride], 0);
        }
        finally
        {
            _insideLoop = false;
            Interlocked.Decrement(ref _pending);
        }
    }

    /// <summary>An item range [lo, hi) in one long, so owner and thief claim items with one compare-exchange.</summary>
    private static long Share(int lo, int hi) => (uint)lo | ((long)hi << 32);

    /// <summary>Claims the first item of share <paramref name="t"/> (its owner) or the last (a thief); -1 when it is empty.</summary>
    private static int Take(int t, bool fromBack)
    {
        ref long slot = ref Shares[t * SlotStride];
        while (true)
        {
            long r = Volatile.Read(ref slot);
            int lo = (int)r, hi = (int)(r >> 32);
            if (lo >= hi) return -1;
            long rest = fromBack ? Share(lo, hi - 1) : Share(lo + 1, hi);
            if (Interlocked.CompareExchange(ref slot, rest, r) == r) return fromBack ? hi - 1 : lo;
        }
    }

    private static void EnsureThreads(int helpers)
    {
        while (Starts.Count < helpers)
        {
            int index = Starts.Count + 1;
            var start = new SemaphoreSlim(0);
            Starts.Add(start);
            new Thread(() => WorkerLoop(index, start)) { IsBackground = true, Name = $"nanofed-worker-{index}" }.Start();
        }
    }

    private static void WorkerLoop(int index, SemaphoreSlim start)
    {
        while (true)
        {
            start.Wait();
            Work(index);
        }
    }

    private static int DefaultCount()
    {
        string? v = Environment.GetEnvironmentVariable("NANOFED_THREADS");
        if (int.TryParse(v, out int n) && n is >= 1 and <= 64) return n;
        return Math.Clamp(Environment.ProcessorCount, 1, 64);
    }

    private static class Job<TBody> where TBody : struct, IParallelBody
    {
        public static TBody Body;
        public static readonly Action<int> Runner = static i => Body.Invoke(i);
    }
}
