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
    /// The largest mean cross-entropy loss a run may report. Chance level is ln(classes), 2.3 for ten classes; a mean
    /// above 1e4 nats means logits apart by ten thousand, a model numerically broken even while its weights are
    /// finite (EcoFed's server at lr 1e6 reported a test loss of 9e16 at chance accuracy and carried on).
    /// </summary>
    public const double LossBound = 1e4;

    /// <summary>Null when <paramref name="loss"/> is finite and at most <see cref="LossBound"/>; otherwise says what it is.</summary>
    public static string? Loss(string what, double loss) =>
        !double.IsFinite(loss) ? $"{what} is {loss}" : loss > LossBound ? $"{what} is {loss:G3}, past {LossBound:G0} (chance level is about 2.3)" : null;

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
