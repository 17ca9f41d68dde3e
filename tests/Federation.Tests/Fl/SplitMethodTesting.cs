using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Training;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// What the split-method tests share: SmallCnn cut after its second conv block (index 6, cut 64×5×5), FedAvgTests'
/// synthetic bars split IID over 10 clients, 3 sampled per round, and the two checks every method must pass.
/// </summary>
internal static class SplitMethodTesting
{
    public const int Split = 6, Classes = 10;

    public static readonly FedAvgOptions Options = new(E: 1, B: 20, Lr: 0.05, Momentum: 0.9);

    public static Sequential Model(ulong seed) => SmallCnn.Create(new RngStream(seed, 9));

    public static FlRunner Runner(FlMethod method, ulong seed, int trainCount = 1000)
    {
        var train = FedAvgTests.Synthetic(trainCount, seed);
        var test = FedAvgTests.Synthetic(300, seed + 1000);
        var partition = new IidPartitioner(10).Split(train.Labels, Classes, new RngStream(seed, 5));
        return FlTesting.Runner(method, train, partition, [("test", test)], FedAvgTests.Norm, perRound: 3, seed);
    }

    /// <summary>Five rounds raise the global model's accuracy by 0.3 and, when <paramref name="lossFalls"/>, lower its loss.</summary>
    public static void AccuracyImproves(Func<ulong, FlMethod> create, bool lossFalls = true)
    {
        const ulong seed = 42;
        var method = create(seed);
        var runner = Runner(method, seed);
        double initial = Evaluator.Evaluate(method.Strategy.GlobalModel, FedAvgTests.Synthetic(300, seed + 1000), FedAvgTests.Norm, "test").Accuracy;
        var history = runner.Run(5);
        string accuracies = string.Join(", ", history.Select(h => h.Accuracy));
        Assert.True(history[^1].Accuracy > initial + 0.3, $"initial {initial}, per round {accuracies}");
        if (lossFalls) Assert.True(history[^1].Loss < history[0].Loss, string.Join(", ", history.Select(h => h.Loss)));
    }

    /// <summary>Two runs from the same seed give the same per-round CSV (every field, round-trip doubles).</summary>
    public static void SameSeedSameMetrics(Func<ulong, FlMethod> create)
    {
        var a = Runner(create(11), 11, trainCount: 300).Run(2);
        var b = Runner(create(11), 11, trainCount: 300).Run(2);
        Assert.Equal(FlRoundMetrics.ToCsv(a), FlRoundMetrics.ToCsv(b));
    }
}
