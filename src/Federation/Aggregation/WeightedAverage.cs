namespace NanoFed.Federation.Aggregation;

/// <summary>
/// Weighted averages of named tensor lists (FedAvg's aggregation, McMahan et al. 2017): every client contributes
/// the same names with the same shapes in the same order, and
/// <c>destination[t][e] = (float)(Σ_c w_c · client_c[t][e] / Σ_c w_c)</c>, each element summed in double in the
/// fixed client order given (c = 0, 1, ...), so the result does not depend on threads or SIMD width.
/// </summary>
public static class WeightedAverage
{
    /// <summary>FedAvg weights: the clients' sample counts as doubles (all must be non-negative, their sum positive).</summary>
    public static double[] BySampleCount(ReadOnlySpan<int> counts)
    {
        var w = new double[counts.Length];
        for (int i = 0; i < counts.Length; i++)
        {
            if (counts[i] < 0) throw new ArgumentException($"client {i} has a negative sample count {counts[i]}", nameof(counts));
            w[i] = counts[i];
        }
        return w;
    }

    /// <summary>
    /// Writes the weighted average of <paramref name="clients"/> (one named tensor list per client) into
    /// <paramref name="destination"/> (overwritten; same names and shapes). Names, shapes and weights are all
    /// checked before anything is written. The destination may be one of the clients' own tensors.
    /// </summary>
    public static void Average(IReadOnlyList<IReadOnlyList<(string Name, Tensor Value)>> clients, ReadOnlySpan<double> weights,
        IReadOnlyList<(string Name, Tensor Value)> destination)
    {
        ArgumentNullException.ThrowIfNull(clients);
        ArgumentNullException.ThrowIfNull(destination);
        double total = Check(clients, weights, destination);
        var acc = new double[destination.Count == 0 ? 0 : destination.Max(d => d.Value.Length)];
        for (int t = 0; t < destination.Count; t++)
        {
            var sum = acc.AsSpan(0, destination[t].Value.Length);
            sum.Clear();
            for (int c = 0; c < clients.Count; c++)
            {
                double w = weights[c];
                var x = clients[c][t].Value.Span;
                for (int e = 0; e < sum.Length; e++) sum[e] += w * x[e];
            }
            var y = destination[t].Value.Span;
            for (int e = 0; e < sum.Length; e++) y[e] = (float)(sum[e] / total);
        }
    }

    /// <summary>Returns Σ weights after checking counts, names, shapes and weights; throws a one-line error otherwise.</summary>
    internal static double Check(IReadOnlyList<IReadOnlyList<(string Name, Tensor Value)>> clients, ReadOnlySpan<double> weights,
        IReadOnlyList<(string Name, Tensor Value)> destination)
    {
        if (clients.Count == 0) throw new ArgumentException("nothing to average: no clients", nameof(clients));
        if (weights.Length != clients.Count) throw new ArgumentException($"{weights.Length} weights for {clients.Count} clients", nameof(weights));
        double total = 0;
        foreach (double w in weights)
        {
            if (!(w >= 0) || double.IsInfinity(w)) throw new ArgumentException($"weights must be finite and non-negative, got {w}", nameof(weights));
            total += w;
        }
        if (!(total > 0)) throw new ArgumentException("the weights sum to zero", nameof(weights));
        for (int c = 0; c < clients.Count; c++)
        {
            var list = clients[c];
            if (list.Count != destination.Count)
                throw new ArgumentException($"client {c} has {list.Count} tensors, the destination {destination.Count}");
            for (int t = 0; t < list.Count; t++)
            {
                if (list[t].Name != destination[t].Name)
                    throw new ArgumentException($"client {c} tensor {t} is '{list[t].Name}', expected '{destination[t].Name}'");
                if (list[t].Value.Shape != destination[t].Value.Shape)
                    throw new ArgumentException($"client {c} '{list[t].Name}' has shape {list[t].Value.Shape}, expected {destination[t].Value.Shape}");
            }
        }
        return total;
    }
}
