using NanoFed.Autograd;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Optim;
using NanoFed.Nets.Training;

namespace NanoFed.Bench;

/// <summary>
/// A network's training step as the peer times it: forward, cross-entropy, backward, SGD with momentum 0.9 and
/// weight decay 1e-4, on one fixed batch of random normal images (labels i mod 10); and eval-mode inference on
/// the same batch. The model is <see cref="ModelCatalog"/>'s, initialized with seed 0.
/// </summary>
internal sealed class TrainStep
{
    private readonly Sequential _model;
    private readonly Sgd _sgd;
    private readonly Variable _x;
    private readonly int[] _labels;

    /// <summary>Builds model <paramref name="network"/> and a batch of <paramref name="batch"/> images of its input size.</summary>
    public TrainStep(string network, int batch)
    {
        _model = ModelCatalog.Create(network, 0);
        _sgd = new Sgd(_model.Parameters(), lr: 0.1, momentum: 0.9, weightDecay: 1e-4);
        var images = ModelCatalog.IsGrey(network) ? Tensor.Zeros(new Shape(batch, 1, 28, 28)) : Tensor.Zeros(new Shape(batch, 3, 32, 32));
        new RngStream(1, 0).FillNormal(images.Span, 0, 1);
        _x = new Variable(images);
        _labels = Enumerable.Range(0, batch).Select(i => i % 10).ToArray();
    }

    /// <summary>The tape the step records on (a profiler observes it).</summary>
    public Tape Tape { get; } = new();

    /// <summary>
    /// One training step. With a <paramref name="profiler"/>, the phases outside the recorded ops (zeroing the
    /// gradients, the optimizer, the tape's reset) are timed too, so the profile covers the whole step.
    /// </summary>
    public void Step(LayerProfiler? profiler = null)
    {
        profiler?.Start();
        _model.Train();
        _sgd.ZeroGrad();
        profiler?.Lap("sgd zero_grad");
        var loss = Tape.CrossEntropy(_model.Forward(Tape, _x), _labels);
        profiler?.Lap("forward outside ops");
        Tape.Backward(loss);
        profiler?.Lap("backward outside ops");
        _sgd.Step();
        profiler?.Lap("sgd step");
        Tape.Reset();
        profiler?.Lap("tape reset");
    }

    /// <summary>Eval-mode inference without a tape record.</summary>
    public void Infer()
    {
        _model.Eval();
        using (Tape.NoGrad()) _model.Forward(Tape, _x);
        Tape.Reset();
    }
}
