using FsCheck;
using FsCheck.Fluent;
using NanoFed.Federation.Aggregation;
using Xunit;

namespace NanoFed.Tests.Federation;

/// <summary>
/// The robust rules bound what poisoned clients can do: whatever f poisoned clients send (huge, infinite or NaN),
/// the median (f &lt; n/2) and the trimmed mean (f ≤ ⌊β·n⌋) keep every coordinate within the honest clients' range,
/// and norm clipping keeps the global model within C of where it was.
/// </summary>
public class AggregatorTests
{
    private static readonly float[] Poisons = [1e30f, -1e30f, float.PositiveInfinity, float.NegativeInfinity, float.NaN, 1e6f, -3e4f];

    /// <summary>n clients with a two-tensor model (5 and 3 entries) from a seed, f of them poisoned.</summary>
    private static (List<IReadOnlyList<(string, Tensor)>> Clients, double[] Weights) Population(int n, int f, int seed)
    {
        var rng = new Random(seed);
        var clients = new List<IReadOnlyList<(string, Tensor)>>();
        for (int c = 0; c < n; c++)
        {
            bool poisoned = c >= n - f;
            float Value() => poisoned ? Poisons[rng.Next(Poisons.Length)] : (float)(rng.NextDouble() * 4 - 2);
            clients.Add([("a", Tensor.FromArray(Enumerable.Range(0, 5).Select(_ => Value()).ToArray(), new Shape(5))),
                ("b", Tensor.FromArray(Enumerable.Range(0, 3).Select(_ => Value()).ToArray(), new Shape(3)))]);
        }
        return (clients, Enumerable.Range(0, n).Select(_ => 1.0 + rng.Next(100)).ToArray());
    }

    private static List<(string, Tensor)> Global() => [("a", Tensor.Zeros(new Shape(5))), ("b", Tensor.Zeros(new Shape(3)))];

    private static void AssertWithinHonestRange(IReadOnlyList<IReadOnlyList<(string, Tensor)>> honest, List<(string, Tensor)> aggregate, string rule)
    {
        for (int t = 0; t < aggregate.Count; t++)
        {
            var y = aggregate[t].Item2.Span;
            for (int e = 0; e < y.Length; e++)
            {
                float lo = honest.Min(c => c[t].Item2.Span[e]), hi = honest.Max(c => c[t].Item2.Span[e]);
                Assert.True(y[e] >= lo && y[e] <= hi, $"{rule}: tensor {t}[{e}] = {y[e]} outside the honest range [{lo}, {hi}]");
            }
        }
    }

    [Fact]
    public void TheMedianStaysInTheHonestRangeWhileFewerThanHalfArePoisoned() =>
        Prop.ForAll(Gen.Choose(1, 12).ToArbitrary(), Gen.Choose(0, 100_000).ToArbitrary(), (n, seed) =>
        {
            int f = (n - 1) / 2;
            var (clients, weights) = Population(n, f, seed);
            var global = Global();
            Aggregators.Parse("median").Aggregate(clients, weights, global);
            AssertWithinHonestRange(clients.Take(n - f).ToList(), global, "median");
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void TheTrimmedMeanStaysInTheHonestRangeWhileAtMostTheTrimmedFractionIsPoisoned() =>
        Prop.ForAll(Gen.Choose(3, 12).ToArbitrary(), Gen.Choose(1, 4).ToArbitrary(), Gen.Choose(0, 100_000).ToArbitrary(), (n, tenths, seed) =>
        {
            double beta = tenths / 10.0;
            int f = (int)Math.Floor(beta * n);
            if (2 * f >= n) return;
            var (clients, weights) = Population(n, f, seed);
            var global = Global();
            Aggregators.Parse($"trimmed-mean:{beta}").Aggregate(clients, weights, global);
            AssertWithinHonestRange(clients.Take(n - f).ToList(), global, $"trimmed-mean:{beta}");
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void ClippingBoundsHowFarTheGlobalModelMovesWhateverTheClientsSend() =>
        Prop.ForAll(Gen.Choose(1, 10).ToArbitrary(), Gen.Choose(0, 10).ToArbitrary(), Gen.Choose(0, 100_000).ToArbitrary(), (n, poisoned, seed) =>
        {
            var (clients, weights) = Population(n, Math.Min(poisoned, n), seed);
            var global = Global();
            global[0].Item2.Span.Fill(0.25f);
            var before = global.SelectMany(g => g.Item2.Span.ToArray()).ToArray();
            Aggregators.Parse("clip:0.5+mean").Aggregate(clients, weights, global);
            var after = global.SelectMany(g => g.Item2.Span.ToArray()).ToArray();
            double moved = Math.Sqrt(before.Zip(after, (x, y) => ((double)y - x) * ((double)y - x)).Sum());
            Assert.True(moved <= 0.5 + 1e-5, $"the global model moved {moved} > 0.5");
        }).QuickCheckThrowOnFailure();

    [Fact]
    public void TheMeanIsFedAvgsWeightedAverageAndAZeroTrimIsThePlainMean()
    {
        var (clients, weights) = Population(5, 0, 11);
        var mean = Global();
        var direct = Global();
        Aggregators.Parse("mean").Aggregate(clients, weights, mean);
        WeightedAverage.Average(clients, weights, direct);
        for (int t = 0; t < 2; t++) Assert.True(mean[t].Item2.Span.SequenceEqual(direct[t].Item2.Span));

        var trimmed = Global();
        Aggregators.Parse("trimmed-mean:0").Aggregate(clients, weights, trimmed);
        var plain = Global();
        WeightedAverage.Average(clients, [1, 1, 1, 1, 1], plain);
        for (int t = 0; t < 2; t++)
            for (int e = 0; e < plain[t].Item2.Length; e++) Assert.Equal(plain[t].Item2.Span[e], trimmed[t].Item2.Span[e], 6);
    }

    [Fact]
    public void MedianOfAnEvenCountAveragesTheMiddlePair()
    {
        IReadOnlyList<(string, Tensor)> Client(float v) => [("a", Tensor.FromArray([v], new Shape(1)))];
        var global = new List<(string, Tensor)> { ("a", Tensor.Zeros(new Shape(1))) };
        Aggregators.Parse("median").Aggregate([Client(4), Client(1), Client(100), Client(2)], [1, 1, 1, 1], global);
        Assert.Equal(3f, global[0].Item2.Span[0]);
    }

    [Theory]
    [InlineData("mode", "unknown aggregator 'mode'")]
    [InlineData("trimmed-mean:0.5", "must be in [0, 0.5)")]
    [InlineData("trimmed-mean:x", "'x' is not a number")]
    [InlineData("clip:5", "expected clip:C+RULE")]
    [InlineData("clip:-1+mean", "must be positive and finite")]
    [InlineData("clip:1+clip:2+mean", "clip applies once")]
    public void BadNamesAreRefusedInOneLine(string text, string message) =>
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => Aggregators.Parse(text)).Message, StringComparison.Ordinal);

    [Theory]
    [InlineData("mean")]
    [InlineData("median")]
    [InlineData("trimmed-mean:0.2")]
    [InlineData("clip:5+median")]
    public void ANameParsesBackToItself(string text) => Assert.Equal(text, Aggregators.Parse(text).Name);
}
