using NanoFed.Federation.Aggregation;
using NanoFed.Autograd;
using NanoFed.Federation.Systems;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Training;
using NanoFed.Nets.Optim;

namespace NanoFed.Federation.Fl;

/// <summary>EcoFed's server side: training the per-client copies of the back part and averaging them.</summary>
public sealed partial class EcoFed
{
    /// <summary>
    /// Trains one copy of the global back per entry (in client order, one reused working model) and averages them by
    /// sample count into the global back (or combines them by the robust <see cref="Aggregator"/>). The average is WeightedAverage's (Σ_k n_k·w_k summed in double in client
    /// order, divided by Σ_k n_k), accumulated copy by copy so that only one copy of a 34 M-parameter back exists at a
    /// time; the double sums are kept between rounds, which spares a 275 MB allocation per round for VGG11.
    /// </summary>
    private double TrainAndAverage(int round, IReadOnlyList<ReplayEntry> entries)
    {
        var trained = entries.Where(e => e.Count > 0).ToList();
        if (trained.Count == 0) return 0;
        _work ??= _createModel().Split(SplitIndex).Back;
        var global = _back.StateDict();
        var work = _work.StateDict();
        if (!ReferenceEquals(Aggregator, Aggregators.Mean))
        {
            // A robust rule needs every copy at once (a median has no running form): K copies of the back in memory.
            var copies = new List<IReadOnlyList<(string Name, Tensor Value)>>(trained.Count);
            foreach (var entry in trained)
            {
                for (int t = 0; t < global.Count; t++) global[t].Value.Span.CopyTo(work[t].Value.Span);
                Train(round, entry);
                copies.Add(work.Select(w => (w.Name, Tensor.FromArray(w.Value.Span.ToArray(), w.Value.Shape))).ToList());
            }
            Aggregator.Aggregate(copies, trained.Select(e => (double)e.Count).ToArray(), global);
            return FlopCounter.TrainingFactor * BackForwardFlopsPerImage * trained.Sum(e => (long)e.Count) * Options.E + 2.0 * BackElements * trained.Count;
        }
        var sums = _sums ??= global.Select(t => new double[t.Value.Length]).ToArray();
        foreach (var sum in sums) Array.Clear(sum);
        long samples = 0;
        foreach (var entry in trained)
        {
            for (int t = 0; t < global.Count; t++) global[t].Value.Span.CopyTo(work[t].Value.Span);
            Train(round, entry);
            for (int t = 0; t < work.Count; t++)
            {
                var x = work[t].Value.Span;
                var sum = sums[t];
                for (int e = 0; e < sum.Length; e++) sum[e] += (double)entry.Count * x[e];
            }
            samples += entry.Count;
        }
        for (int t = 0; t < global.Count; t++)
        {
            var y = global[t].Value.Span;
            var sum = sums[t];
            for (int e = 0; e < sum.Length; e++) y[e] = (float)(sum[e] / samples);
        }
        return FlopCounter.TrainingFactor * BackForwardFlopsPerImage * samples * Options.E + 2.0 * BackElements * trained.Count;
    }

    /// <summary>E epochs of SGD (fresh optimizer state) of the working copy on the entry's de-quantized samples, batch B.</summary>
    private void Train(int round, ReplayEntry entry)
    {
        var work = _work!;
        work.Train();
        var sgd = new Sgd(work.Parameters(), Options.LrIn(round), Options.Momentum, weightDecay: Options.WeightDecay, nesterov: Options.Nesterov);
        float[] features = entry.Decode();
        int[] sample = entry.SampleShape.ToArray();
        int per = entry.SampleShape.Length, n = entry.Count;
        var order = Enumerable.Range(0, n).ToArray();
        var full = new float[Math.Min(Options.B, n) * per];
        var shuffle = Options.ReshuffleReplay ? new RngStream(Seed, ShuffleStream).Split((ulong)round).Split((ulong)entry.Client) : null;
        for (int epoch = 0; epoch < Options.E; epoch++)
        {
            if (shuffle is not null)
            {
                for (int i = n - 1; i > 0; i--)
                {
                    int j = shuffle.NextInt(i + 1);
                    (order[i], order[j]) = (order[j], order[i]);
                }
            }
            for (int start = 0; start < n; start += Options.B)
            {
                int m = Math.Min(Options.B, n - start);
                var x = m * per == full.Length ? full : new float[m * per];
                var y = new int[m];
                for (int i = 0; i < m; i++)
                {
                    int s = order[start + i];
                    features.AsSpan(s * per, per).CopyTo(x.AsSpan(i * per, per));
                    y[i] = entry.Labels[s];
                }
                SupervisedStep.Run(_tape, work, sgd, Tensor.FromArray(x, new Shape([m, .. sample])), y);
            }
        }
    }
}
