using NanoFed.Autograd;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;

namespace NanoFed.Nets.Training;

/// <summary>Batched evaluation: eval mode (running batch-norm statistics, no dropout), no tape recording.</summary>
public static class Evaluator
{
    /// <summary>
    /// Mean cross-entropy and accuracy of <paramref name="model"/> on <paramref name="data"/> normalized by
    /// <paramref name="normalization"/>, in batches of <paramref name="batchSize"/>. The model's training flag is
    /// restored afterwards. Loss sums per batch in double, so the result does not depend on thread count.
    /// </summary>
    public static TestMetrics Evaluate(Module model, ImageDataset data, Normalization normalization, string name, int batchSize = 500)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        bool wasTraining = model.IsTraining;
        model.Eval();
        var tape = new Tape();
        double lossSum = 0;
        long correct = 0;
        try
        {
            using var loader = new BatchLoader(data, batchSize, normalization);
            using var _ = tape.NoGrad();
            foreach (var batch in loader.Epoch(0))
            {
                var logits = model.Forward(tape, new Variable(batch.Images));
                lossSum += (double)tape.CrossEntropy(logits, batch.Labels).Data.Span[0] * batch.Count;
                correct += CountCorrect(logits.Data.Span, batch.Labels);
                tape.Reset();
            }
        }
        finally
        {
            tape.Reset();
            model.Train(wasTraining);
        }
        int n = Math.Max(1, data.Count);
        return new TestMetrics(name, lossSum / n, (double)correct / n, data.Count);
    }

    /// <summary>How many rows of <paramref name="logits"/> (N, classes) have their first maximum at the label.</summary>
    public static int CountCorrect(ReadOnlySpan<float> logits, ReadOnlySpan<int> labels)
    {
        int n = labels.Length, classes = logits.Length / Math.Max(1, n), correct = 0;
        for (int i = 0; i < n; i++)
        {
            var row = logits.Slice(i * classes, classes);
            int best = 0;
            for (int c = 1; c < classes; c++)
                if (row[c] > row[best]) best = c;
            if (best == labels[i]) correct++;
        }
        return correct;
    }
}
