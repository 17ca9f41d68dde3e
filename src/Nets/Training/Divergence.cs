using System.Numerics.Tensors;

namespace NanoFed.Nets.Training;

/// <summary>
/// A run stopped because its loss, or a weight or buffer of its model, stopped being a finite number. Every training
/// loop checks after each step, before anything is checkpointed, so the last checkpoint on disk is the last good
/// state; the message names where (run, epoch or round, step, agent or client) and what (the loss, or the tensor).
/// </summary>
public sealed class DivergenceException(string message) : Exception(message);

/// <summary>The check a training loop makes on its model's state after each step.</summary>
public static class Divergence
{
    /// <summary>
    /// Null when every tensor of <paramref name="state"/> is finite; otherwise names the first one that is not, with
    /// the count of bad values. A vector sum per tensor finds them (NaN and infinities survive any sum) at memory
    /// speed, and only a tensor whose sum is not finite is counted element by element; nothing is allocated.
    /// </summary>
    public static string? NonFinite(IReadOnlyList<(string Name, Tensor Value)> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        foreach (var (name, value) in state)
        {
            var span = value.Span;
            if (float.IsFinite(TensorPrimitives.Sum(span))) continue;
            int bad = 0;
            foreach (float v in span)
                if (!float.IsFinite(v)) bad++;
            // A sum of finite values can still overflow: that is divergence too, by a weight of order 1e38.
            return bad > 0 ? $"{name} holds {bad} non-finite value(s) of {span.Length}" : $"{name} sums to more than a float holds";
        }
        return null;
    }
}
