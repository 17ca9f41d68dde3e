using System.Buffers;

namespace NanoFed.Autograd;

/// <summary>Softmax cross-entropy with integer labels, mean over the batch (PyTorch's <c>F.cross_entropy</c>).</summary>
public static class CrossEntropyOp
{
    /// <summary>
    /// logits (N, C), labels (N) in [0, C) → the mean loss as a rank-0 variable (shape [], one element).
    /// Throws <see cref="ArgumentException"/> for a label out of range. The labels are copied (the array may be reused).
    /// </summary>
    public static Variable CrossEntropy(this Tape tape, Variable logits, ReadOnlySpan<int> labels)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(logits);
        if (logits.Shape.Rank != 2)
            throw new ArgumentException($"cross-entropy: logits must be (N, C), got {logits.Shape}", nameof(logits));
        int n = logits.Shape[0], c = logits.Shape[1];
        var loss = tape.Intermediate(new Shape());
        var probabilities = tape.Scratch(logits.Shape, zero: false);
        loss.Data.Span[0] = Kernels.CrossEntropy.Forward(logits.Data.Span, labels, probabilities.Span, n, c);
        if (tape.Records(logits))
        {
            // Labels are kept as floats (exact below 2^24) so the entry holds only tensors.
            var savedLabels = tape.Scratch(new Shape(n), zero: false);
            var s = savedLabels.Span;
            for (int i = 0; i < n; i++) s[i] = labels[i];
            tape.Record(new TapeEntry { Backward = BackwardFn, Output = loss, A = logits, Saved0 = probabilities, Saved1 = savedLabels });
        }
        return loss;
    }

    /// <summary>As <see cref="CrossEntropy(Tape, Variable, ReadOnlySpan{int})"/> with an array of labels.</summary>
    public static Variable CrossEntropy(this Tape tape, Variable logits, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(labels);
        return CrossEntropy(tape, logits, labels.AsSpan());
    }

    // dLogits += dLoss · (softmax − onehot) / N.
    private static readonly BackwardFn BackwardFn = static (ref readonly TapeEntry e) =>
    {
        var dLogits = e.A!.GradForAccumulation();
        if (dLogits is null) return;
        int n = e.A.Shape[0], c = e.A.Shape[1];
        int[] labels = ArrayPool<int>.Shared.Rent(n);
        var saved = e.Saved1!.Span;
        for (int i = 0; i < n; i++) labels[i] = (int)saved[i];
        Kernels.CrossEntropy.Backward(e.Saved0!.Span, labels.AsSpan(0, n), e.Output.Grad!.Span[0], dLogits.Span, n, c);
        ArrayPool<int>.Shared.Return(labels);
    };
}
