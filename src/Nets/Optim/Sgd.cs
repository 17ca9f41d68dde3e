using System.Numerics.Tensors;
using NanoFed.Autograd;

namespace NanoFed.Nets.Optim;

/// <summary>
/// Stochastic gradient descent exactly as <c>torch.optim.SGD</c> (single-tensor path), per parameter p with
/// gradient g, for parameters whose gradient exists (others are skipped, as PyTorch skips <c>grad is None</c>):
/// <code>
/// d = g + weight_decay · p                          (if weight_decay ≠ 0)
/// b = d (first step) | momentum · b + (1 − dampening) · d   (if momentum ≠ 0)
/// d = d + momentum · b (nesterov) | b
/// p = p − lr · d
/// </code>
/// Element-wise through TensorPrimitives (vectorized, the same arithmetic for every element, so deterministic).
/// The gradient is never modified; the momentum buffers are the optimizer's state (<see cref="MomentumBuffer"/>),
/// and a per-parameter work buffer is allocated once, so steps allocate nothing.
/// </summary>
public sealed class Sgd
{
    private readonly Variable[] _parameters;
    private readonly Tensor?[] _buffers;
    private readonly Tensor?[] _work;

    /// <summary>An optimizer over <paramref name="parameters"/> with PyTorch's argument names and defaults.</summary>
    public Sgd(IEnumerable<Variable> parameters, double lr, double momentum = 0, double dampening = 0,
        double weightDecay = 0, bool nesterov = false)
    {
        ArgumentNullException.ThrowIfNull(parameters);
        if (lr < 0) throw new ArgumentOutOfRangeException(nameof(lr), lr, "learning rate must be non-negative");
        if (momentum < 0) throw new ArgumentOutOfRangeException(nameof(momentum), momentum, "momentum must be non-negative");
        if (weightDecay < 0) throw new ArgumentOutOfRangeException(nameof(weightDecay), weightDecay, "weight decay must be non-negative");
        if (nesterov && (momentum <= 0 || dampening != 0))
            throw new ArgumentException($"Nesterov momentum needs momentum > 0 and dampening 0, got momentum {momentum}, dampening {dampening}");
        _parameters = parameters.ToArray();
        _buffers = new Tensor?[_parameters.Length];
        _work = new Tensor?[_parameters.Length];
        Lr = lr;
        Momentum = momentum;
        Dampening = dampening;
        WeightDecay = weightDecay;
        Nesterov = nesterov;
    }

    /// <summary>The parameters, in the order given.</summary>
    public IReadOnlyList<Variable> Parameters => _parameters;

    /// <summary>Learning rate of the next step (schedules set it).</summary>
    public double Lr { get; set; }

    /// <summary>Momentum factor (one-cycle schedules may cycle it).</summary>
    public double Momentum { get; set; }

    /// <summary>Dampening of the momentum update.</summary>
    public double Dampening { get; }

    /// <summary>L2 penalty added to the gradient.</summary>
    public double WeightDecay { get; }

    /// <summary>Whether the Nesterov form is used.</summary>
    public bool Nesterov { get; }

    /// <summary>Number of steps taken since construction or <see cref="ResetState"/>.</summary>
    public long StepCount { get; private set; }

    /// <summary>The momentum buffer of parameter <paramref name="index"/>, or null before its first step (or without momentum).</summary>
    public Tensor? MomentumBuffer(int index) => _buffers[index];

    /// <summary>Sets (a copy of) the momentum buffer of parameter <paramref name="index"/>, or clears it with null (restoring a checkpoint).</summary>
    public void SetMomentumBuffer(int index, Tensor? value)
    {
        var p = _parameters[index];
        if (value is null)
        {
            _buffers[index] = null;
            return;
        }
        if (value.Shape != p.Shape)
            throw new ArgumentException($"momentum buffer for parameter {index} ({p.Name}) must have shape {p.Shape}, got {value.Shape}", nameof(value));
        var b = _buffers[index] ??= Tensor.Zeros(p.Shape);
        value.Span.CopyTo(b.Span);
    }

    /// <summary>Forgets every momentum buffer and the step count (EcoFed resets optimizer state every round).</summary>
    public void ResetState()
    {
        Array.Clear(_buffers);
        StepCount = 0;
    }

    /// <summary>Zeroes every parameter's gradient.</summary>
    public void ZeroGrad()
    {
        foreach (var p in _parameters) p.ZeroGrad();
    }

    /// <summary>Updates every parameter that has a gradient, in place.</summary>
    public void Step()
    {
        float lr = (float)Lr, momentum = (float)Momentum, dampening = (float)Dampening, weightDecay = (float)WeightDecay;
        for (int i = 0; i < _parameters.Length; i++)
        {
            var p = _parameters[i];
            if (p.Grad is null || !p.RequiresGrad) continue;
            var w = p.Data.Span;
            ReadOnlySpan<float> d = p.Grad.Span;
            if (weightDecay != 0 || (momentum != 0 && Nesterov))
            {
                var work = (_work[i] ??= Tensor.Zeros(p.Shape)).Span;
                if (weightDecay != 0) TensorPrimitives.MultiplyAdd(w, weightDecay, d, work);
                else d.CopyTo(work);
                d = work;
            }
            if (momentum != 0)
            {
                var b = _buffers[i];
                if (b is null)
                {
                    b = _buffers[i] = Tensor.Zeros(p.Shape);
                    d.CopyTo(b.Span);
                }
                else
                {
                    TensorPrimitives.Multiply(b.Span, momentum, b.Span);
                    TensorPrimitives.MultiplyAdd(d, 1f - dampening, b.Span, b.Span);
                }
                if (Nesterov)
                {
                    var work = _work[i]!.Span;
                    TensorPrimitives.MultiplyAdd(b.Span, momentum, work, work);
                    d = work;
                }
                else
                {
                    d = b.Span;
                }
            }
            TensorPrimitives.MultiplyAdd(d, -lr, w, w);
        }
        StepCount++;
    }
}
