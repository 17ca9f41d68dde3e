using NanoFed.Autograd;
using NanoFed.Nets.Optim;
using NanoFed.Nets.Training;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests.Models;

/// <summary>
/// Whole catalog models, trained for two SGD steps at the batch sizes the experiments use, end with the same bits on
/// one and on two worker threads. The kernel tests check this shape by shape; a model reaches shapes and kernel
/// choices (ISA paths, thresholds between algorithms) that those lists may not cover.
/// </summary>
[Collection(nameof(WorkerCountCollection))]
public class ThreadCountTests
{
    [Theory]
    [InlineData("vgg11-ecofed", 10)]
    [InlineData("resnet20", 16)]
    [InlineData("vgg11", 4)]
    public void TwoTrainingStepsGiveTheSameBitsOnOneAndTwoThreads(string name, int batch)
    {
        int saved = Workers.Count;
        try
        {
            Workers.Count = 1;
            var one = Train(name, batch);
            Workers.Count = 2;
            var two = Train(name, batch);
            foreach (var (key, value) in one)
                Assert.True(value.AsSpan().SequenceEqual(two[key]), $"{name}: {key} differs between one and two threads");
        }
        finally
        {
            Workers.Count = saved;
        }
    }

    static Dictionary<string, float[]> Train(string name, int batch)
    {
        var model = ModelCatalog.Create(name, 5);
        var sgd = new Sgd(model.Parameters(), 0.05, 0.9, weightDecay: 5e-4);
        var tape = new Tape();
        int[] labels = Enumerable.Range(0, batch).Select(i => i % 10).ToArray();
        for (int step = 0; step < 2; step++)
        {
            var x = new Variable(Vgg11Tests.Random(new Shape(batch, 3, 32, 32), (ulong)(11 + step)));
            sgd.ZeroGrad();
            tape.Backward(tape.CrossEntropy(model.Forward(tape, x), labels));
            sgd.Step();
            tape.Reset();
        }
        return model.StateDict().ToDictionary(p => p.Name, p => p.Value.ToArray());
    }
}
