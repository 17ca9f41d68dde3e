using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Aggregation;
using Xunit;

namespace NanoFed.Tests;

public class WeightedAverageTests
{
    private static List<(string Name, Tensor Value)> Model(int seed, int[] sizes)
    {
        var rng = new RngStream((ulong)seed, 9);
        var list = new List<(string, Tensor)>();
        for (int t = 0; t < sizes.Length; t++)
        {
            var v = new float[sizes[t]];
            rng.FillNormal(v);
            list.Add(($"layer{t}.weight", Tensor.FromArray(v, new Shape(sizes[t]))));
        }
        return list;
    }

    [Fact]
    public void MatchesNaiveReference() =>
        Prop.ForAll(Arb.From(Gen.Choose(1, 6)), Arb.From(Gen.Choose(0, 1_000_000)), (clients, seed) =>
        {
            int[] sizes = [1, 7, 33, seed % 50];
            var models = Enumerable.Range(0, clients).Select(c => (IReadOnlyList<(string Name, Tensor Value)>)Model(seed + c, sizes)).ToList();
            var counts = Enumerable.Range(0, clients).Select(c => 1 + (seed + 7 * c) % 500).ToArray();
            var dst = Model(0, sizes);
            WeightedAverage.Average(models, WeightedAverage.BySampleCount(counts), dst);
            double total = counts.Sum();
            for (int t = 0; t < sizes.Length; t++)
                for (int e = 0; e < sizes[t]; e++)
                {
                    double expected = 0;
                    for (int c = 0; c < clients; c++) expected += counts[c] / total * models[c][t].Value.Span[e];
                    Assert.Equal(expected, dst[t].Value.Span[e], 1e-5);
                }
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void EqualWeightsOfIdenticalModelsAreExact()
    {
        var a = Model(1, [5, 9]);
        var dst = Model(2, [5, 9]);
        WeightedAverage.Average([a, a, a], [1.0, 1.0, 1.0], dst);
        for (int t = 0; t < 2; t++) Assert.Equal(a[t].Value.ToArray(), dst[t].Value.ToArray());
    }

    [Fact]
    public void MismatchesThrowOneLineErrors()
    {
        var a = Model(1, [5, 9]);
        var b = Model(2, [5, 8]);
        var e = Assert.Throws<ArgumentException>(() => WeightedAverage.Average([a, b], [1.0, 1.0], Model(3, [5, 9])));
        Assert.Contains("shape", e.Message);
        Assert.Throws<ArgumentException>(() => WeightedAverage.Average([a], [1.0, 2.0], Model(3, [5, 9])));
        Assert.Throws<ArgumentException>(() => WeightedAverage.Average([a], [0.0], Model(3, [5, 9])));
        Assert.Throws<ArgumentException>(() => WeightedAverage.Average([a], [-1.0], Model(3, [5, 9])));
    }
}
