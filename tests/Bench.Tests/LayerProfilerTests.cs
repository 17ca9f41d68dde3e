using System.Diagnostics;
using NanoFed.Bench;
using Xunit;

namespace NanoFed.Tests.Bench;

/// <summary>The layer profiler on the small CNN: every op in its own row, and the rows add up to the step.</summary>
public class LayerProfilerTests
{
    private const int Steps = 3;

    [Fact]
    public void RowsCoverEveryOpAndSumToTheStepTime()
    {
        var step = new TrainStep("smallcnn", 16);
        step.Step();
        var profiler = new LayerProfiler();
        step.Tape.Observer = profiler;
        long start = Stopwatch.GetTimestamp();
        for (int i = 0; i < Steps; i++) step.Step(profiler);
        double wall = Stopwatch.GetElapsedTime(start).TotalSeconds;

        // The small CNN records conv, relu, pool twice, then reshape, linear, relu, linear and the loss: 11 ops a step.
        var ops = profiler.Rows.Where(r => r.Kind != "phase").ToList();
        Assert.Equal(["Conv2d", "CrossEntropy", "Linear", "MaxPool2d", "Relu", "Reshape"], ops.Select(r => r.Kind).Distinct().Order());
        Assert.Equal(11 * Steps, ops.Sum(r => r.Calls));
        Assert.Contains(ops, r => r.Label == "Conv2d 1x28x28 K=32 s=1");
        Assert.Contains(ops, r => r.Label == "Linear 1600 -> 128");
        Assert.All(ops, r => Assert.True(r.BackwardTicks > 0, $"{r.Label} has no backward time"));
        Assert.Equal(["backward outside ops", "forward outside ops", "sgd step", "sgd zero_grad", "tape reset"],
            profiler.Rows.Where(r => r.Kind == "phase").Select(r => r.Label).Order());

        // Every tick from each step's start to its end is in one row: the sum is the wall time less the loop's few
        // instructions, and less whatever preemption falls between a step's end and the next one's start (on a noisy
        // 2-vCPU host that reached 5.7% of a 0.2 s run); a missing phase would cost far more than the 10% allowed.
        Assert.InRange(profiler.TotalSeconds, 0.90 * wall, wall);
    }
}
