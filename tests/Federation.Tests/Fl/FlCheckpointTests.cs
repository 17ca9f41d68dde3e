using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Nets;
using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// The server's checkpoint: a run stopped after round r and resumed from its checkpoint by a fresh strategy and runner
/// ends with the model, the metrics of the accuracy column and the ledger of the uninterrupted run (FlGoldenTests'
/// setting: SmallCnn, 200 synthetic bars, 4 clients, 2 per round, seed 3).
/// </summary>
public sealed class FlCheckpointTests : IDisposable
{
    private const ulong Seed = 3;
    private const int Split = 6, Classes = 10;
    private static readonly FedAvgOptions Local = new(E: 1, B: 20, Lr: 0.05, Momentum: 0.9);
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-flckpt-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static Sequential Model() => SmallCnn.Create(new RngStream(Seed, 9));

    public static TheoryData<string> Methods() => ["fedavg", "splitfed", "localloss", "ecofed"];

    private static FlMethod Method(string name) => name switch
    {
        "fedavg" => new(new FedAvg(Model, [1, 28, 28], Local), FedAvgClient.Factory(Model)),
        "splitfed" => new(new SplitFed(Model, Split, [1, 28, 28], Local), SplitFedClient.Factory(Model, Split)),
        "localloss" => new(new LocalLoss(Model, Split, [1, 28, 28], Classes, Seed, Local), LocalLossClient.Factory(Model, Split, Classes)),
        _ => new(new EcoFed(Model, 3, [1, 28, 28], PretrainedFront.None, new EcoFedOptions(E: 2, B: 10, Lr: 0.02, Bits: 6, Period: 2, ReshuffleReplay: true)),
            EcoFedClient.Factory(Model, 3, PretrainedFront.None)),
    };

    private static FlRunner Runner(string method)
    {
        var train = FedAvgTests.Synthetic(200, Seed);
        var partition = new IidPartitioner(4).Split(train.Labels, Classes, new RngStream(Seed, 5));
        return FlTesting.Runner(Method(method), train, partition, [("test", FedAvgTests.Synthetic(40, Seed + 1000))], FedAvgTests.Norm, perRound: 2, Seed);
    }

    /// <summary>EcoFed stops after round 2, a replay round, so round 3 needs the restored buffer as well as the back.</summary>
    [Theory]
    [MemberData(nameof(Methods))]
    public void StoppedAfterRoundTwoAndResumedEndsBitIdentical(string method)
    {
        var whole = Runner(method);
        whole.Run(4);

        string path = Path.Combine(_dir, FlCheckpoint.FileName);
        var first = Runner(method);
        first.CheckpointPath = path;
        first.Run(2);
        var resumed = Runner(method);
        Assert.Equal(2, FlCheckpoint.Restore(resumed, path));
        resumed.Run(2);

        Assert.Equal(FlGoldenTests.Hash(whole.Strategy.GlobalModel), FlGoldenTests.Hash(resumed.Strategy.GlobalModel));
        Assert.NotEqual(FlGoldenTests.Hash(whole.Strategy.GlobalModel), FlGoldenTests.Hash(first.Strategy.GlobalModel));
        Assert.Equal(whole.History.Select(m => (m.Round, m.Accuracy, m.CumulativeBytes)), resumed.History.Select(m => (m.Round, m.Accuracy, m.CumulativeBytes)));
        Assert.Equal(whole.Ledger.Entries, resumed.Ledger.Entries);
    }

    [Fact]
    public void ACheckpointOfAnotherMethodIsRefusedNamingTheFile()
    {
        string path = Path.Combine(_dir, FlCheckpoint.FileName);
        var fedavg = Runner("fedavg");
        fedavg.CheckpointPath = path;
        fedavg.Run(1);
        var e = Assert.Throws<DataFormatException>(() => FlCheckpoint.Restore(Runner("ecofed"), path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains("method 'fedavg'", e.Message, StringComparison.Ordinal);
    }
}
