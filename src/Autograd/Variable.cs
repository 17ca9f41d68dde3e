using NanoFed.Memory;

namespace NanoFed.Autograd;

/// <summary>
/// A tensor that takes part in differentiation: its value, its gradient (created on first accumulation,
/// then accumulated into by every backward function that reaches it), and whether gradients flow to it.
/// Parameters are leaf variables with <see cref="RequiresGrad"/> set; a frozen parameter has it cleared.
/// Intermediates are created by a <see cref="Tape"/> and given back to the pool by <see cref="Tape.Reset"/>.
/// </summary>
public sealed class Variable
{
    internal Tape? Owner;

    /// <summary>A leaf variable over <paramref name="data"/> (not copied).</summary>
    public Variable(Tensor data, bool requiresGrad = false, string? name = null)
    {
        Data = data ?? throw new ArgumentNullException(nameof(data));
        RequiresGrad = requiresGrad;
        Name = name;
    }

    /// <summary>The value.</summary>
    public Tensor Data { get; internal set; }

    /// <summary>The accumulated gradient, or null if no backward pass has reached this variable since it was created or its gradient dropped.</summary>
    public Tensor? Grad { get; internal set; }

    /// <summary>Whether backward passes accumulate a gradient into this variable.</summary>
    public bool RequiresGrad { get; set; }

    /// <summary>Optional name (PyTorch state_dict name for parameters).</summary>
    public string? Name { get; set; }

    /// <summary>Shape of the value.</summary>
    public Shape Shape => Data.Shape;

    /// <summary>A leaf over the same value that no gradient flows through.</summary>
    public Variable Detach() => new(Data, requiresGrad: false, Name);

    /// <summary>Sets the gradient to zero if there is one (the owner of the gradient zeroes it; backward only accumulates).</summary>
    public void ZeroGrad() => Grad?.Span.Clear();

    /// <summary>
    /// The gradient to accumulate into, created as zeros on first use; null when no gradient flows to this
    /// variable. Backward functions call this for each input.
    /// </summary>
    public Tensor? GradForAccumulation()
    {
        if (!RequiresGrad) return null;
        if (Grad is null)
        {
            // An intermediate's gradient is pooled: its tape gives it back once the producer's backward has run.
            Grad = Owner is null ? Tensor.Zeros(Data.Shape) : TensorPool.Rent(Data.Shape);
        }
        return Grad;
    }

    /// <summary>
    /// The gradient for a backward function that can write its contribution in one pass: on first use a new buffer
    /// left uninitialised, with <paramref name="overwrite"/> set (the caller must then write every element: this saves
    /// zeroing the buffer and reading the zeros back); afterwards the existing gradient, to accumulate into. Null when
    /// no gradient flows to this variable.
    /// </summary>
    public Tensor? GradForWrite(out bool overwrite)
    {
        overwrite = false;
        if (!RequiresGrad) return null;
        if (Grad is null && Owner is not null)
        {
            Grad = TensorPool.Rent(Data.Shape, zero: false);
            overwrite = true;
        }
        return GradForAccumulation();
    }

    /// <summary>Describes name and shape.</summary>
    public override string ToString() => $"Variable({Name ?? "?"}, {Data.Shape})";

    internal void Rebind(Tensor data)
    {
        Data = data;
        Grad = null;
        RequiresGrad = false;
        Name = null;
    }
}
