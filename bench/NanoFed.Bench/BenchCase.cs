using System.Diagnostics;

namespace NanoFed.Bench;

/// <summary>
/// One named benchmark: <see cref="Validate"/> checks the kernel against its reference (at a small size)
/// and returns an error message or null; <see cref="Run"/> is the timed work of <see cref="Flops"/> floating-point
/// operations. <see cref="Name"/> matches the peer's line prefix (e.g. "sgemm n=1024") so figures pair up.
/// <see cref="Plan"/> says which algorithm and blocking the kernel runs on this machine ("" when it has no choice).
/// </summary>
internal sealed record BenchCase(string Name, double Flops, Func<string?> Validate, Action Run, string Plan = "")
{
    /// <summary>
    /// Runs before timing: tiered compilation promotes a method to optimized code after about 30 calls past its
    /// instrumented tier, and a training step calls some methods only once per layer of a kind. ResNet-20's step
    /// measured 139-148 ms (median of 7) after 3 warm-up steps, 109-110 ms after 40.
    /// </summary>
    private const int WarmUpRuns = 40;

    /// <summary>Longest warm-up in seconds once 3 runs are done (a VGG11 step at 1 thread and batch 256 takes over a second).</summary>
    private const double MaxWarmUpSeconds = 3;

    /// <summary>
    /// Median seconds of <paramref name="reps"/> timed runs after warm-up: at least 3 runs and 0.3 s, and
    /// <see cref="WarmUpRuns"/> runs unless that takes over <see cref="MaxWarmUpSeconds"/>, so JIT tiering is done.
    /// </summary>
    public double MedianSeconds(int reps)
    {
        long warm = Stopwatch.GetTimestamp();
        for (int i = 0; ; i++)
        {
            double elapsed = Stopwatch.GetElapsedTime(warm).TotalSeconds;
            if (i >= 3 && elapsed >= 0.3 && (i >= WarmUpRuns || elapsed >= MaxWarmUpSeconds)) break;
            Run();
        }
        var times = new double[reps];
        for (int i = 0; i < reps; i++)
        {
            long start = Stopwatch.GetTimestamp();
            Run();
            times[i] = Stopwatch.GetElapsedTime(start).TotalSeconds;
        }
        Array.Sort(times);
        return reps % 2 == 1 ? times[reps / 2] : 0.5 * (times[reps / 2 - 1] + times[reps / 2]);
    }
}
