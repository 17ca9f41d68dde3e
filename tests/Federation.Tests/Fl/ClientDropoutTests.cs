using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// The simulation's clients share one working model; a device (or a cluster grain) owns its model. With dropout in
/// the model, the masks must come from the round context, not from how far the model's dropout stream has advanced:
/// a run whose clients each own their model ends bit-identical to the shared-model simulation.
/// </summary>
public class ClientDropoutTests
{
    private const ulong Seed = 4;
    private const int Split = 10;
    private static readonly FedAvgOptions Local = new(E: 1, B: 20, Lr: 0.05, Momentum: 0.9);

    /// <summary>SmallCnn with dropout before its last layer (index 9, on the device's side of <see cref="Split"/>).</summary>
    private static Sequential Model()
    {
        var rng = new RngStream(Seed, 9);
        var layers = SmallCnn.Create(rng);
        var withDropout = new Sequential();
        for (int i = 0; i < layers.Count; i++)
        {
            if (i == layers.Count - 1) withDropout.Add("dropout", new Dropout(0.5f, new RngStream(Seed, 77)));
            withDropout.Add(layers.Children[i].Name, layers[i]);
        }
        return withDropout;
    }

    private static string Run(IFlStrategy strategy, Func<FlClientData, IFlClient> clients)
    {
        var train = FedAvgTests.Synthetic(200, Seed);
        var partition = new IidPartitioner(4).Split(train.Labels, 10, new RngStream(Seed, 5));
        var runner = FlTesting.Runner(new FlMethod(strategy, clients), train, partition, [("test", FedAvgTests.Synthetic(40, Seed + 1))],
            FedAvgTests.Norm, perRound: 3, Seed);
        runner.Run(2);
        return FlGoldenTests.Hash(strategy.GlobalModel);
    }

    /// <summary>Each client built by a factory of its own, so each holds its own model, as a device does.</summary>
    private static Func<FlClientData, IFlClient> OwnModels(Func<Func<FlClientData, IFlClient>> factory) => data => factory()(data);

    [Fact]
    public void FedAvgClientsOwningTheirModelsEndAsTheSimulation() => Assert.Equal(
        Run(new FedAvg(Model, [1, 28, 28], Local), FedAvgClient.Factory(Model)),
        Run(new FedAvg(Model, [1, 28, 28], Local), OwnModels(() => FedAvgClient.Factory(Model))));

    [Fact]
    public void SplitFedDevicesOwningTheirFrontsEndAsTheSimulation() => Assert.Equal(
        Run(new SplitFed(Model, Split, [1, 28, 28], Local), SplitFedClient.Factory(Model, Split)),
        Run(new SplitFed(Model, Split, [1, 28, 28], Local), OwnModels(() => SplitFedClient.Factory(Model, Split))));
}
