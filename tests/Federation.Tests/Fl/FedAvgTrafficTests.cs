using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Models;
using Xunit;

namespace NanoFed.Tests;

public class FedAvgTrafficTests
{
    /// <summary>
    /// specs/ecofed.md's traffic table, FL row: the VGG11 EcoFed variant (34,440,970 parameters) moves the whole model
    /// down and up, 262.8 MiB per sampled client per round. Measured from the bytes actually serialized: the server's
    /// round messages and the client's reply (sent by <see cref="FedAvgClient"/>; the client holds no images so nothing
    /// is trained, the reply has exactly the shape of a trained one).
    /// </summary>
    [Fact]
    public void Vgg11EcoFedMovesTheSpecsTrafficPerClientPerRound()
    {
        Func<Nets.Modules.Sequential> model = () => Vgg11.Create(Vgg11Variant.EcoFed, new RngStream(1, 1));
        var method = new FedAvg(model, [3, 32, 32]);
        Assert.Equal(34_440_970, method.GlobalModel.ParameterCount());
        var ledger = new TrafficLedger();
        var transport = new InProcessTransport(ledger);
        foreach (var m in method.ConfigureRound(new FlRound(1, [7], 1))) transport.Send(m);
        var empty = new ImageDataset([], [], 3, 32, 32, 10);
        FedAvgClient.Factory(model)(new FlClientData(7, empty, Normalization.Identity(3))).Work(transport);
        double mib = ledger.PerClientPerRound()[(1, 7)] / (1024.0 * 1024.0);
        Assert.InRange(mib, 262.8 * 0.99, 262.8 * 1.01);
        Assert.InRange(mib, 262.7, 262.9);
    }
}
