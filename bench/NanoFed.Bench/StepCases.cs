using NanoFed.Autograd;
using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Optim;

namespace NanoFed.Bench;

/// <summary>
/// Whole-network cases, as the peer times them: a training step (forward, cross-entropy, backward, SGD with
/// momentum 0.9 and weight decay 1e-4) and eval-mode inference of ResNet-20 (option A) and VGG11 (BatchNorm
/// variant) at batch 128 on random input. Named as the peer's lines ("resnet20 train step bs=128").
/// </summary>
public static class StepCases
{
    /// <summary>Batch size of every case.</summary>
    public const int Batch = 128;

    /// <summary>Training step and inference for each network.</summary>
    public static IEnumerable<(string Name, Action Run)> All()
    {
        foreach (var (name, make) in new (string, Func<Sequential>)[]
        {
            ("resnet20", () => ResNetCifar.ResNet20(ResNetShortcut.A, new RngStream(0, 0))),
            ("vgg11", () => Vgg11.Create(Vgg11Variant.BatchNorm, new RngStream(0, 0))),
        })
        {
            var model = make();
            var sgd = new Sgd(model.Parameters(), lr: 0.1, momentum: 0.9, weightDecay: 1e-4);
            var rng = new RngStream(1, 0);
            var images = Tensor.Zeros(new Shape(Batch, 3, 32, 32));
            rng.FillNormal(images.Span, 0, 1);
            var x = new Variable(images);
            int[] labels = Enumerable.Range(0, Batch).Select(i => i % 10).ToArray();
            var tape = new Tape();
            yield return ($"{name} train step bs={Batch}", () =>
            {
                model.Train();
                sgd.ZeroGrad();
                tape.Backward(tape.CrossEntropy(model.Forward(tape, x), labels));
                sgd.Step();
                tape.Reset();
            });
            yield return ($"{name} inference bs={Batch}", () =>
            {
                model.Eval();
                using (tape.NoGrad()) model.Forward(tape, x);
                tape.Reset();
            });
        }
    }
}
