using System.Diagnostics;

namespace NanoFed.Cli.Bench;

/// <summary>
/// One named benchmark: <see cref="Validate"/> checks the kernel against its reference (at a small size)
/// and returns an error message or null; <see cref="Run"/> is the timed work of <see cref="Flops"/> floating-point
/// operations. <see cref="Name"/> matches the peer's line prefix (e.g. "sgemm n=1024") so figures pair up.
/// </summary>
internal sealed record BenchCase(string Name, double Flops, Func<string?> Validate, Action Run)
{
    /// <summary>Median seconds of <paramref name="reps"/> timed runs after warm-up (at least 3 runs and 0.3 s, so JIT tiering is done).</summary>
    public double MedianSeconds(int reps)
    {
        long warm = Stopwatch.GetTimestamp();
        for (int i = 0; i < 3 || Stopwatch.GetElapsedTime(warm).TotalSeconds < 0.3; i++) Run();
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
