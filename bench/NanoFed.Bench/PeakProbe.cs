using System.Diagnostics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace NanoFed.Bench;

/// <summary>
/// The machine's measured peak: FMA throughput of many independent vector FMA chains per thread (enough
/// to cover latency × pipes), on 1 thread and on N dedicated threads started together.
/// </summary>
internal static class PeakProbe
{
    /// <summary>
    /// Chains per thread: 24 covers a 4-cycle FMA on 2 pipes three times over and fits AVX-512's 32 registers; AVX2 and
    /// SSE have 16, where 24 accumulators spill to the stack and the probe measures the spills (on a Zen 4 host with
    /// AVX2 only, 24 chains measured 71 GFLOP/s per thread where the kernels ran at twice that), so those paths run 12.
    /// </summary>
    private static int Chains => Vector512.IsHardwareAccelerated ? 24 : 12;

    /// <summary>Best GFLOP/s of <paramref name="threads"/> threads running the widest accelerated FMA loop for about <paramref name="seconds"/>.</summary>
    public static double Measure(int threads, double seconds, out string width)
    {
        width = Vector512.IsHardwareAccelerated ? "Vector512" : Vector256.IsHardwareAccelerated ? "Vector256" : "Vector128";
        long iterations = 1 << 20;
        // Calibrate to about 50 ms per timed round on one thread.
        while (Time(1, iterations) < 0.05) iterations *= 2;
        double best = 0;
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed.TotalSeconds < seconds)
        {
            double t = Time(threads, iterations);
            best = Math.Max(best, FlopsPerIteration() * iterations * threads / t / 1e9);
        }
        return best;
    }

    private static double FlopsPerIteration() =>
        2.0 * Chains * (Vector512.IsHardwareAccelerated ? 16 : Vector256.IsHardwareAccelerated ? 8 : 4);

    private static double Time(int threads, long iterations)
    {
        using var ready = new Barrier(threads + 1);
        var workers = new Thread[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Thread(() =>
            {
                ready.SignalAndWait();
                Sink(Vector512.IsHardwareAccelerated ? Fma512(iterations) : Vector256.IsHardwareAccelerated ? Fma256(iterations) : Fma128(iterations));
                ready.SignalAndWait();
            });
            workers[t].Start();
        }
        ready.SignalAndWait();
        long start = Stopwatch.GetTimestamp();
        ready.SignalAndWait();
        double elapsed = Stopwatch.GetElapsedTime(start).TotalSeconds;
        foreach (var w in workers) w.Join();
        return elapsed;
    }

    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void Sink(float x)
    {
        if (x == 12345.678f) Console.Write("");
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Fma512(long iterations)
    {
        var m = Vector512.Create(0.999999f);
        var s = Vector512.Create(1e-7f);
        Vector512<float> a0 = Vector512.Create(0f), a1 = Vector512.Create(1f), a2 = Vector512.Create(2f), a3 = Vector512.Create(3f),
            a4 = Vector512.Create(4f), a5 = Vector512.Create(5f), a6 = Vector512.Create(6f), a7 = Vector512.Create(7f),
            a8 = Vector512.Create(8f), a9 = Vector512.Create(9f), a10 = Vector512.Create(10f), a11 = Vector512.Create(11f),
            a12 = Vector512.Create(12f), a13 = Vector512.Create(13f), a14 = Vector512.Create(14f), a15 = Vector512.Create(15f),
            a16 = Vector512.Create(16f), a17 = Vector512.Create(17f), a18 = Vector512.Create(18f), a19 = Vector512.Create(19f),
            a20 = Vector512.Create(20f), a21 = Vector512.Create(21f), a22 = Vector512.Create(22f), a23 = Vector512.Create(23f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector512.FusedMultiplyAdd(a0, m, s); a1 = Vector512.FusedMultiplyAdd(a1, m, s);
            a2 = Vector512.FusedMultiplyAdd(a2, m, s); a3 = Vector512.FusedMultiplyAdd(a3, m, s);
            a4 = Vector512.FusedMultiplyAdd(a4, m, s); a5 = Vector512.FusedMultiplyAdd(a5, m, s);
            a6 = Vector512.FusedMultiplyAdd(a6, m, s); a7 = Vector512.FusedMultiplyAdd(a7, m, s);
            a8 = Vector512.FusedMultiplyAdd(a8, m, s); a9 = Vector512.FusedMultiplyAdd(a9, m, s);
            a10 = Vector512.FusedMultiplyAdd(a10, m, s); a11 = Vector512.FusedMultiplyAdd(a11, m, s);
            a12 = Vector512.FusedMultiplyAdd(a12, m, s); a13 = Vector512.FusedMultiplyAdd(a13, m, s);
            a14 = Vector512.FusedMultiplyAdd(a14, m, s); a15 = Vector512.FusedMultiplyAdd(a15, m, s);
            a16 = Vector512.FusedMultiplyAdd(a16, m, s); a17 = Vector512.FusedMultiplyAdd(a17, m, s);
            a18 = Vector512.FusedMultiplyAdd(a18, m, s); a19 = Vector512.FusedMultiplyAdd(a19, m, s);
            a20 = Vector512.FusedMultiplyAdd(a20, m, s); a21 = Vector512.FusedMultiplyAdd(a21, m, s);
            a22 = Vector512.FusedMultiplyAdd(a22, m, s); a23 = Vector512.FusedMultiplyAdd(a23, m, s);
        }
        var sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11))
            + ((a12 + a13) + (a14 + a15)) + ((a16 + a17) + (a18 + a19)) + ((a20 + a21) + (a22 + a23));
        return Vector512.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Fma256(long iterations)
    {
        var m = Vector256.Create(0.999999f);
        var s = Vector256.Create(1e-7f);
        Vector256<float> a0 = Vector256.Create(0f), a1 = Vector256.Create(1f), a2 = Vector256.Create(2f), a3 = Vector256.Create(3f),
            a4 = Vector256.Create(4f), a5 = Vector256.Create(5f), a6 = Vector256.Create(6f), a7 = Vector256.Create(7f),
            a8 = Vector256.Create(8f), a9 = Vector256.Create(9f), a10 = Vector256.Create(10f), a11 = Vector256.Create(11f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector256.FusedMultiplyAdd(a0, m, s); a1 = Vector256.FusedMultiplyAdd(a1, m, s);
            a2 = Vector256.FusedMultiplyAdd(a2, m, s); a3 = Vector256.FusedMultiplyAdd(a3, m, s);
            a4 = Vector256.FusedMultiplyAdd(a4, m, s); a5 = Vector256.FusedMultiplyAdd(a5, m, s);
            a6 = Vector256.FusedMultiplyAdd(a6, m, s); a7 = Vector256.FusedMultiplyAdd(a7, m, s);
            a8 = Vector256.FusedMultiplyAdd(a8, m, s); a9 = Vector256.FusedMultiplyAdd(a9, m, s);
            a10 = Vector256.FusedMultiplyAdd(a10, m, s); a11 = Vector256.FusedMultiplyAdd(a11, m, s);
        }
        var sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
        return Vector256.Sum(sum);
    }

    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static float Fma128(long iterations)
    {
        var m = Vector128.Create(0.999999f);
        var s = Vector128.Create(1e-7f);
        Vector128<float> a0 = Vector128.Create(0f), a1 = Vector128.Create(1f), a2 = Vector128.Create(2f), a3 = Vector128.Create(3f),
            a4 = Vector128.Create(4f), a5 = Vector128.Create(5f), a6 = Vector128.Create(6f), a7 = Vector128.Create(7f),
            a8 = Vector128.Create(8f), a9 = Vector128.Create(9f), a10 = Vector128.Create(10f), a11 = Vector128.Create(11f);
        for (long i = 0; i < iterations; i++)
        {
            a0 = Vector128.FusedMultiplyAdd(a0, m, s); a1 = Vector128.FusedMultiplyAdd(a1, m, s);
            a2 = Vector128.FusedMultiplyAdd(a2, m, s); a3 = Vector128.FusedMultiplyAdd(a3, m, s);
            a4 = Vector128.FusedMultiplyAdd(a4, m, s); a5 = Vector128.FusedMultiplyAdd(a5, m, s);
            a6 = Vector128.FusedMultiplyAdd(a6, m, s); a7 = Vector128.FusedMultiplyAdd(a7, m, s);
            a8 = Vector128.FusedMultiplyAdd(a8, m, s); a9 = Vector128.FusedMultiplyAdd(a9, m, s);
            a10 = Vector128.FusedMultiplyAdd(a10, m, s); a11 = Vector128.FusedMultiplyAdd(a11, m, s);
        }
        var sum = ((a0 + a1) + (a2 + a3)) + ((a4 + a5) + (a6 + a7)) + ((a8 + a9) + (a10 + a11));
        return Vector128.Sum(sum);
    }
}
