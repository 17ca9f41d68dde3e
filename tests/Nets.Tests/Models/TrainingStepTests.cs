using NanoFed.Autograd;
using NanoFed.Nets.Models;
using NanoFed.Nets.Optim;
using Xunit;

namespace NanoFed.Tests.Models;

/// <summary>
/// A full ResNet-20 training step (forward, cross-entropy, backward, SGD step with momentum and weight decay, tape
/// reset) in steady state: bytes allocated on the training thread per step, measured over steps 3 to 5 (the
/// process-wide count, which includes the worker threads and the test runner, is printed too).
/// </summary>
[Collection(nameof(AllocationCollection))]
public class TrainingStepTests(ITestOutputHelper output)
{
    [Fact]
    public void SteadyStateStepAllocatesLessThan64KB()
    {
        var model = ResNetCifar.ResNet20(ResNetShortcut.A, new RngStream(1, 0));
        var sgd = new Sgd(model.Parameters(), 0.1, 0.9, weightDecay: 5e-4);
        var x = new Variable(Vgg11Tests.Random(new Shape(8, 3, 32, 32), 1));
        int[] labels = [0, 1, 2, 3, 4, 5, 6, 7];
        var tape = new Tape();
        long start = 0, startAll = 0;
        const int Warm = 3, Measured = 3;
        for (int step = 0; step < Warm + Measured; step++)
        {
            if (step == Warm)
            {
                start = GC.GetAllocatedBytesForCurrentThread();
                startAll = GC.GetTotalAllocatedBytes(precise: true);
            }
            sgd.ZeroGrad();
            var loss = tape.CrossEntropy(model.Forward(tape, x), labels);
            tape.Backward(loss);
            sgd.Step();
            tape.Reset();
        }
        long perStep = (GC.GetAllocatedBytesForCurrentThread() - start) / Measured;
        long perStepAll = (GC.GetTotalAllocatedBytes(precise: true) - startAll) / Measured;
        output.WriteLine($"ResNet-20 batch 8 training step: {perStep} bytes allocated per step on the training thread, {perStepAll} in the process");
        Assert.True(perStep < 64 * 1024, $"{perStep} bytes allocated per step");
    }
}
