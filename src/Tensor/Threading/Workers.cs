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
public static class Workers
{
    private static readonly Lock Gate = new();
    private static readonly SemaphoreSlim Start = new(0);
    private static readonly List<Thread> Threads = [];
    private static int _count = DefaultCount();
    private static Action<int>? _runner;
    private static int _items;
    private static int _next;
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
        int helpers = Math.Min(_count, count) - 1;
        EnsureThreads(helpers);
        _runner = runner;
        _items = count;
        _next = 0;
        _failure = null;
        Volatile.Write(ref _pending, helpers + 1);
        Start.Release(helpers);
        Work();
        var spin = new SpinWait();
        while (Volatile.Read(ref _pending) != 0) spin.SpinOnce(sleep1Threshold: -1);
        _runner = null;
        _failure?.Throw();
    }

    private static void Work()
    {
        _insideLoop = true;
        try
        {
            var runner = _runner!;
            int i;
            while ((i = Interlocked.Increment(ref _next) - 1) < _items) runner(i);
        }
        catch (Exception e)
        {
            Interlocked.CompareExchange(ref _failure, ExceptionDispatchInfo.Capture(e), null);
            Volatile.Write(ref _next, int.MaxValue / 2);
        }
        finally
        {
            _insideLoop = false;
            Interlocked.Decrement(ref _pending);
        }
    }

    private static void EnsureThreads(int helpers)
    {
        while (Threads.Count < helpers)
        {
            var t = new Thread(WorkerLoop) { IsBackground = true, Name = $"nanofed-worker-{Threads.Count + 1}" };
            Threads.Add(t);
            t.Start();
        }
    }

    private static void WorkerLoop()
    {
        while (true)
        {
            Start.Wait();
            Work();
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
