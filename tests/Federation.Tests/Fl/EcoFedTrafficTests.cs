using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Models;
using Xunit;

namespace NanoFed.Tests;

public class EcoFedTrafficTests
{
    private const double MiB = 1024.0 * 1024.0;

    /// <summary>
    /// specs/ecofed.md's traffic table, EcoFed row: the VGG11 EcoFed variant cut at 8 (output 128×8×8), a client of 500
    /// CIFAR-shaped images, batch 10, 8 bits: 3.91 MiB up per sampled client in an update round, nothing in a replay
    /// round, 1.95 MiB averaged over rounds at P = 2; no training data ever goes down (an update round's context does,
    /// a few hundred bytes). Measured from the bytes actually serialized (the device's real replies through the
    /// in-process transport); the 34 M-parameter back part is never trained here.
    /// </summary>
    [Fact]
    public void Vgg11EcoFedMovesTheSpecsTrafficPerClientPerRound()
    {
        Func<Nets.Modules.Sequential> model = () => Vgg11.Create(Vgg11Variant.EcoFed, new RngStream(1, 1));
        var method = new EcoFed(model, 8, [3, 32, 32], PretrainedFront.None);
        var ledger = new TrafficLedger();
        var transport = new InProcessTransport(ledger);
        var rng = new RngStream(3, 4);
        var pixels = new byte[500 * 3 * 32 * 32];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
        var data = new ImageDataset(pixels, Enumerable.Range(0, 500).Select(i => i % 10).ToArray(), 3, 32, 32, 10);
        var client = EcoFedClient.Factory(model, 8, PretrainedFront.None)(new FlClientData(7, data, Normalization.Identity(3)));
        const int rounds = 4;
        for (int round = 1; round <= rounds; round++)
        {
            var configure = method.ConfigureRound(new FlRound(round, [7], 5));
            Assert.Equal(round % 2 == 1 ? 1 : 0, configure.Count);
            foreach (var m in configure) transport.Send(m);
            Assert.Equal(round % 2 == 1 ? 500.0 * method.FrontForwardFlopsPerImage : 0, client.Work(transport));
        }
        var activations = transport.ReceiveAll(Message.Server).Where(m => m.Kind == MessageKind.Activations).ToList();
        Assert.Equal(2, activations.Count);
        Assert.All(activations[0].Payload, t => Assert.Equal(new Shape(10, 128, 8, 8), t.Shape));
        Assert.Equal(50, activations[0].Payload.Count);

        var perClient = ledger.PerClientPerRound();
        Assert.Equal(new[] { (1, 7), (3, 7) }, perClient.Keys);
        Assert.All(ledger.Entries.Where(e => e.Phase == MessagePhase.Training), e => Assert.Equal(Message.Server, e.Receiver));
        Assert.InRange(ledger.Total(MessagePhase.Control), 2 * 100, 2 * 200);
        double update = perClient[(1, 7)] / MiB;
        Assert.Equal(perClient[(1, 7)], perClient[(3, 7)]);
        Assert.InRange(update, 3.91 * 0.99, 3.91 * 1.01);
        Assert.InRange(ledger.Total(MessageKind.Labels), 2 * 500, 2 * 600);
        double average = ledger.Total() / MiB / rounds;
        Assert.InRange(average, 1.95 * 0.99, 1.95 * 1.01);
    }
}
