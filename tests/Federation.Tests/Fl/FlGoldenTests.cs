using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// Golden results of the five federated methods: three rounds of each on SmallCnn and 200 of FedAvgTests' synthetic
/// bars (4 IID clients, 2 sampled per round, batch 20), from seed 3. The hash is SHA-256 over the global model's
/// state dict (each tensor's name in UTF-8, then its float32 values' bytes, in state-dict order), and the ledger's byte
/// totals by phase. The hashes and the Training-phase totals were recorded from the code before the split into
/// server strategies and clients (commit 861c0ed, whose total was all Training phase), which kept them bit-identical.
/// The split added Control-phase messages only: a round context per sampled client per round (186 bytes for
/// FedAvg, SplitFed and LocalLoss: 22 header + 31 key + five instructions; 217 for FedGKT, whose sixth instruction is
/// the temperature; 133 for EcoFed, which sends its three instructions in update rounds only), and for LocalLoss and
/// FedGKT a 22-byte acknowledgement per batch of activations (3 batches of 20 from each client's 50 samples). FedAvg and SplitFed end with the same
/// model: with fp32 at the cut, a SplitFed step is exactly the whole model's step, and both average by sample count.
/// </summary>
public class FlGoldenTests
{
    private const ulong Seed = 3;
    private const int Rounds = 3, Split = 6, Classes = 10;
    private static readonly FedAvgOptions Local = new(E: 1, B: 20, Lr: 0.05, Momentum: 0.9);

    private static Sequential Model() => SmallCnn.Create(new RngStream(Seed, 9));

    /// <summary>Round contexts of a run: 3 rounds of 2 sampled clients.</summary>
    private const long Contexts = Rounds * 2;

    /// <summary>Acknowledged batches of a run: 3 rounds, 2 clients, 3 batches each.</summary>
    private const long Acknowledgements = Rounds * 2 * 3;

    private static (string Hash, long Training, long Control) Run(IFlStrategy strategy, Func<FlClientData, IFlClient> clients)
    {
        var train = FedAvgTests.Synthetic(200, Seed);
        var test = FedAvgTests.Synthetic(40, Seed + 1000);
        var partition = new IidPartitioner(4).Split(train.Labels, Classes, new RngStream(Seed, 5));
        var runner = FlTesting.Runner(new FlMethod(strategy, clients), train, partition, [("test", test)], FedAvgTests.Norm, perRound: 2, Seed);
        runner.Run(Rounds);
        Assert.Equal(runner.Ledger.Total(), runner.Ledger.Total(MessagePhase.Training) + runner.Ledger.Total(MessagePhase.Control));
        return (Hash(strategy.GlobalModel), runner.Ledger.Total(MessagePhase.Training), runner.Ledger.Total(MessagePhase.Control));
    }

    internal static string Hash(Module model)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var (name, value) in model.StateDict())
        {
            sha.AppendData(Encoding.UTF8.GetBytes(name));
            sha.AppendData(MemoryMarshal.AsBytes(value.Span));
        }
        return Convert.ToHexString(sha.GetHashAndReset());
    }

    [Fact]
    public void FedAvg() => Assert.Equal(
        ("E14C3127ED4234C5CCDF4E1FC7CA75F61B753A6606CB4D8ECE435CF662558147", 10_804_560L, Contexts * 186),
        Run(new FedAvg(Model, [1, 28, 28], Local), FedAvgClient.Factory(Model)));

    [Fact]
    public void SplitFed() => Assert.Equal(
        ("E14C3127ED4234C5CCDF4E1FC7CA75F61B753A6606CB4D8ECE435CF662558147", 4_747_758L, Contexts * 186),
        Run(new SplitFed(Model, Split, [1, 28, 28], Local), SplitFedClient.Factory(Model, Split)));

    [Fact]
    public void LocalLoss() => Assert.Equal(
        ("FC9E1F2EA785C79DDBC84F5FD1427156581EEE19FD56D7A52B6EF4F041213627", 3_595_698L, Contexts * 186 + Acknowledgements * 22),
        Run(new LocalLoss(Model, Split, [1, 28, 28], Classes, Seed, Local), LocalLossClient.Factory(Model, Split, Classes)));

    [Fact]
    public void FedGkt() => Assert.Equal(
        ("B080911718F2A468428B6F298BA8FD3ED7BB78B96C9B63345B5A8BF2432E00B0", 3_620_310L, Contexts * 217 + Acknowledgements * 22),
        Run(new FedGkt(Model, Split, [1, 28, 28], Classes, Seed, new FedGktOptions(E: 1, B: 20, Lr: 0.05, Momentum: 0.9, Temperature: 3, ServerEpochs: 2)),
            FedGktClient.Factory(Model, Split, Classes)));

    /// <summary>
    /// A cosine schedule (its first round at lr/10) and Nesterov reach SplitFed's server copies as they reach the devices:
    /// FedAvg and SplitFed still end with the same model, another than the constant rate's, and every context carries the
    /// nesterov switch (12 + 8 + 8 bytes more).
    /// </summary>
    [Fact]
    public void AScheduleAndNesterovReachDevicesAndServerAlike()
    {
        var options = Local with { Nesterov = true, Schedule = NanoFed.Federation.Decentralized.GossipSchedule.Create("cosine", Local.Lr, [], 1, Rounds, 1) };
        var fedAvg = Run(new FedAvg(Model, [1, 28, 28], options), FedAvgClient.Factory(Model));
        var splitFed = Run(new SplitFed(Model, Split, [1, 28, 28], options), SplitFedClient.Factory(Model, Split));
        Assert.Equal(fedAvg.Hash, splitFed.Hash);
        Assert.NotEqual("E14C3127ED4234C5CCDF4E1FC7CA75F61B753A6606CB4D8ECE435CF662558147", fedAvg.Hash);
        Assert.Equal(Contexts * (186 + 28), fedAvg.Control);
    }

    /// <summary>Rounds 1 and 3 are update rounds (P = 2), the only ones with contexts: 2 x 2 of them.</summary>
    [Fact]
    public void EcoFed() => Assert.Equal(
        ("B0A0AF37E4E7A2F22A375B3ACCDD12EC7F0913FA59E9FA7C867366FD1B8CC8B2", 812_508L, 4 * 133L),
        Run(new EcoFed(Model, 3, [1, 28, 28], PretrainedFront.None, new EcoFedOptions(E: 2, B: 10, Lr: 0.02, Bits: 6, Period: 2, ReshuffleReplay: true)),
            EcoFedClient.Factory(Model, 3, PretrainedFront.None)));
}
