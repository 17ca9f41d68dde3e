namespace NanoFed.Federation.Aggregation;

/// <summary>
/// How a server combines its clients' models into the next global model. Every client contributes the same names
/// with the same shapes in the same order; <c>destination</c> holds the current global model on entry (the reference
/// that update clipping measures from) and the aggregate on return. Results depend only on the clients' order, never
/// on threads.
/// </summary>
public interface IAggregator
{
    /// <summary>The option value that names this aggregator (mean, median, trimmed-mean:0.2, clip:5+mean).</summary>
    string Name { get; }

    /// <summary>Writes the aggregate of <paramref name="clients"/> (weighted by <paramref name="weights"/> where the rule uses weights) into <paramref name="destination"/>.</summary>
    void Aggregate(IReadOnlyList<IReadOnlyList<(string Name, Tensor Value)>> clients, ReadOnlySpan<double> weights, IReadOnlyList<(string Name, Tensor Value)> destination);
}
