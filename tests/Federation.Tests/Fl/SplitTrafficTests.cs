using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Nets.Data;
using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// specs/ecofed.md's traffic table for the three DNN-partitioned baselines, from the bytes the methods actually
/// serialize through <see cref="FlRunner"/>'s transport: one sampled client of 500 CIFAR-shaped images (random
/// pixels), batch 10, one round. What is real: the device part is VGG11-EcoFed's first eight layers with the
/// weights <see cref="Vgg11.Create"/> gives them (76,032 parameters, cut 128×8×8; checked layer by layer), the auxiliary head (8,192 → 10), the
/// batch count, every message the method sends and its wire size. What is not: behind the cut the server runs
/// flatten + one linear layer instead of VGG11's remaining 34.4 M parameters, because training them on 500 images
/// takes minutes; the server's part never travels (only its per-client copies are averaged on the server), so it
/// changes no byte of this table.
/// </summary>
public class SplitTrafficTests(ITestOutputHelper output)
{
    private const double MiB = 1 << 20;
    private const int Images = 500, Classes = 10;
    private static readonly FedAvgOptions Options = new(E: 1, B: 10, Lr: 0.01, Momentum: 0.9);

    /// <summary>VGG11-EcoFed's device part, built once (the whole model takes about a second to initialise).</summary>
    private static readonly Lazy<Sequential> Vgg11Front = new(() => Vgg11.Create(Vgg11Variant.EcoFed, new RngStream(1, 1)).Split(8).Front);

    /// <summary>VGG11-EcoFed's first eight layers with its weights, then flatten and a linear layer to the classes.</summary>
    private static Sequential Model()
    {
        var rng = new RngStream(1, 2);
        var model = new Sequential(
            ("features.0", new Conv2d(3, 64, 3, rng, 1, 1, bias: true)), ("features.1", new BatchNorm2d(64, batchStatsAlways: true)),
            ("features.2", new ReLU()), ("features.3", new MaxPool2d(2, 2)),
            ("features.4", new Conv2d(64, 128, 3, rng, 1, 1, bias: true)), ("features.5", new BatchNorm2d(128, batchStatsAlways: true)),
            ("features.6", new ReLU()), ("features.7", new MaxPool2d(2, 2)),
            ("flatten", new Flatten()), ("classifier", new Linear(128 * 8 * 8, Classes, rng)));
        model.LoadStateDict(Vgg11Front.Value.StateDict().ToDictionary(t => t.Name, t => t.Value), strict: false);
        return model;
    }

    private double Measure(IFlStrategy method, Func<FlClientData, IFlClient> clients, double expected)
    {
        var rng = new RngStream(1, 3);
        var pixels = new byte[Images * 3 * 32 * 32];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
        var labels = Enumerable.Range(0, Images).Select(_ => rng.NextInt(Classes)).ToArray();
        var train = new ImageDataset(pixels, labels, 3, 32, 32, Classes);
        var partition = new Partition("one", [Enumerable.Range(0, Images).ToArray()], labels, Classes);
        var test = train.Subset([0]);
        var runner = FlTesting.Runner(new FlMethod(method, clients), train, partition, [("test", test)], Normalization.Identity(3), perRound: 1, seed: 1);
        runner.Run(1);
        double mib = runner.Ledger.PerClientPerRound()[(1, 0)] / MiB;
        string kinds = string.Join(", ", runner.Ledger.ByKind().Select(k => $"{k.Key} {k.Value / MiB:F4}"));
        output.WriteLine($"{method.Name}: {mib:F4} MiB (spec {expected}, {100 * (mib / expected - 1):+0.00;-0.00}%) [{kinds}]");
        Assert.InRange(mib / expected, 0.99, 1.01);
        return mib;
    }

    [Fact]
    public void DevicePartIsVgg11EcoFeds()
    {
        var front = Model().Split(8).Front;
        var real = Vgg11Front.Value;
        Assert.Equal(76_032, front.ParameterCount());
        Assert.Equal(real.Children.Select(c => (c.Name, c.Value.GetType())), front.Children.Select(c => (c.Name, c.Value.GetType())));
        Assert.Equal(real.StateDict().Select(t => (t.Name, t.Value.ToArray())), front.StateDict().Select(t => (t.Name, t.Value.ToArray())));
    }

    [Fact]
    public void SplitFed() => Measure(new SplitFed(Model, 8, [3, 32, 32], Options), SplitFedClient.Factory(Model, 8), 31.83);

    [Fact]
    public void LocalLoss() => Measure(new LocalLoss(Model, 8, [3, 32, 32], Classes, 1, Options), LocalLossClient.Factory(Model, 8, Classes), 16.83);

    [Fact]
    public void FedGkt() => Measure(new FedGkt(Model, 8, [3, 32, 32], Classes, 1, new FedGktOptions(E: 1, B: 10, Lr: 0.01, Momentum: 0.9)),
        FedGktClient.Factory(Model, 8, Classes), 16.87);
}
