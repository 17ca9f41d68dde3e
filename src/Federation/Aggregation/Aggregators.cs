using System.Globalization;

namespace NanoFed.Federation.Aggregation;

/// <summary>
/// The aggregation rules of a server. FedAvg's weighted mean is the default; the robust rules bound what a few
/// poisoned or broken clients can do to the global model, at a cost in statistical efficiency on honest data:
/// <list type="bullet">
/// <item><b>median</b>: the coordinate-wise median of the clients (Yin et al., ICML 2018), unweighted; with f of n
/// clients arbitrary, every coordinate stays within the range of the honest clients' values while f &lt; n / 2.</item>
/// <item><b>trimmed-mean:β</b>: per coordinate, the ⌊β·n⌋ largest and smallest values dropped and the rest averaged,
/// unweighted (the same paper); the same bound while f ≤ ⌊β·n⌋.</item>
/// <item><b>clip:C+RULE</b>: each client's update (its model minus the global model) scaled down to L2 norm at most C
/// over the whole model before RULE aggregates (norm bounding, Sun et al. 2019); with a mean rule the global model
/// moves by at most C per round.</item>
/// </list>
/// </summary>
public static class Aggregators
{
    /// <summary>The names <see cref="Parse"/> accepts, for help texts.</summary>
    public const string Names = "mean | median | trimmed-mean:BETA | clip:C+RULE";

    /// <summary>FedAvg's sample-weighted mean (<see cref="WeightedAverage"/>).</summary>
    public static IAggregator Mean { get; } = new MeanAggregator();

    /// <summary>The rule named by <paramref name="text"/> (see <see cref="Names"/>); a one-line <see cref="ArgumentException"/> otherwise.</summary>
    public static IAggregator Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text == "mean") return Mean;
        if (text == "median") return new MedianAggregator();
        if (text.StartsWith("trimmed-mean:", StringComparison.Ordinal))
        {
            double beta = Number(text["trimmed-mean:".Length..], text);
            if (!(beta is >= 0 and < 0.5)) throw new ArgumentException($"aggregator '{text}': the trimmed fraction must be in [0, 0.5)");
            return new TrimmedMeanAggregator(beta);
        }
        if (text.StartsWith("clip:", StringComparison.Ordinal))
        {
            int plus = text.IndexOf('+', StringComparison.Ordinal);
            if (plus < 0) throw new ArgumentException($"aggregator '{text}': expected clip:C+RULE, e.g. clip:5+mean");
            double bound = Number(text[5..plus], text);
            if (!(bound > 0) || double.IsInfinity(bound)) throw new ArgumentException($"aggregator '{text}': the norm bound must be positive and finite");
            var inner = Parse(text[(plus + 1)..]);
            if (inner is ClippedAggregator) throw new ArgumentException($"aggregator '{text}': clip applies once");
            return new ClippedAggregator(bound, inner);
        }
        throw new ArgumentException($"unknown aggregator '{text}' (expected {Names})");
    }

    private static double Number(string text, string whole) =>
        double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double v) ? v
            : throw new ArgumentException($"aggregator '{whole}': '{text}' is not a number");

    private sealed class MeanAggregator : IAggregator
    {
        public string Name => "mean";

        public void Aggregate(IReadOnlyList<IReadOnlyList<(string Name, Tensor Value)>> clients, ReadOnlySpan<double> weights, IReadOnlyList<(string Name, Tensor Value)> destination) =>
            WeightedAverage.Average(clients, weights, destination);
    }

    /// <summary>Per-coordinate order statistics: gathers coordinate e of every client, sorts, reduces.</summary>
    private abstract class CoordinateAggregator : IAggregator
    {
        public abstract string Name { get; }

        /// <summary>Reduces the sorted values of one coordinate.</summary>
        protected abstract double Reduce(ReadOnlySpan<float> sorted);

        public void Aggregate(IReadOnlyList<IReadOnlyList<(string Name, Tensor Value)>> clients, ReadOnlySpan<double> weights, IReadOnlyList<(string Name, Tensor Value)> destination)
        {
            WeightedAverage.Check(clients, weights, destination);
            var column = new float[clients.Count];
            for (int t = 0; t < destination.Count; t++)
            {
                var y = destination[t].Value.Span;
                for (int e = 0; e < y.Length; e++)
                {
                    for (int c = 0; c < clients.Count; c++) column[c] = clients[c][t].Value.Span[e];
                    Array.Sort(column);
                    y[e] = (float)Reduce(column);
                }
            }
        }
    }

    private sealed class MedianAggregator : CoordinateAggregator
    {
        public override string Name => "median";

        protected override double Reduce(ReadOnlySpan<float> sorted)
        {
            int n = sorted.Length;
            return n % 2 == 1 ? sorted[n / 2] : 0.5 * ((double)sorted[n / 2 - 1] + sorted[n / 2]);
        }
    }

    private sealed class TrimmedMeanAggregator(double beta) : CoordinateAggregator
    {
        public override string Name => string.Create(CultureInfo.InvariantCulture, $"trimmed-mean:{beta}");

        protected override double Reduce(ReadOnlySpan<float> sorted)
        {
            int trim = (int)Math.Floor(beta * sorted.Length);
            double sum = 0;
            for (int i = trim; i < sorted.Length - trim; i++) sum += sorted[i];
            return sum / (sorted.Length - 2 * trim);
        }
    }

    private sealed class ClippedAggregator(double bound, IAggregator inner) : IAggregator
    {
        public string Name => string.Create(CultureInfo.InvariantCulture, $"clip:{bound}+{inner.Name}");

        public void Aggregate(IReadOnlyList<IReadOnlyList<(string Name, Tensor Value)>> clients, ReadOnlySpan<double> weights, IReadOnlyList<(string Name, Tensor Value)> destination)
        {
            WeightedAverage.Check(clients, weights, destination);
            var clipped = new List<IReadOnlyList<(string Name, Tensor Value)>>(clients.Count);
            foreach (var client in clients)
            {
                double norm = 0;
                for (int t = 0; t < destination.Count; t++)
                {
                    var x = client[t].Value.Span;
                    var g = destination[t].Value.Span;
                    for (int e = 0; e < x.Length; e++) norm += ((double)x[e] - g[e]) * ((double)x[e] - g[e]);
                }
                norm = Math.Sqrt(norm);
                // A non-finite update is scaled to nothing: it carries no direction worth keeping.
                double scale = !double.IsFinite(norm) ? 0 : norm > bound ? bound / norm : 1;
                var list = new List<(string Name, Tensor Value)>(destination.Count);
                for (int t = 0; t < destination.Count; t++)
                {
                    var g = destination[t].Value.Span;
                    var x = client[t].Value.Span;
                    var data = new float[x.Length];
                    for (int e = 0; e < data.Length; e++) data[e] = scale == 0 ? g[e] : (float)(g[e] + scale * ((double)x[e] - g[e]));
                    list.Add((destination[t].Name, Tensor.FromArray(data, destination[t].Value.Shape)));
                }
                clipped.Add(list);
            }
            inner.Aggregate(clipped, weights, destination);
        }
    }
}
