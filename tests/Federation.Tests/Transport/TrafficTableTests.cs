using NanoFed.Autograd;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// specs/ecofed.md's traffic table, reproduced from bytes actually serialized: one sampled client, one round,
/// VGG11-EcoFed (34,440,970 parameters) cut after layer 8 (76,032 device parameters), 500 images in batches of 10,
/// activations 128×8×8 per image computed by the real device part on random images. Every message goes through
/// <see cref="InProcessTransport"/>, so the ledger counts the wire bytes, headers included.
/// Overheads beyond the table's payload arithmetic (all well under 1%): a 22-byte header per message, a
/// 2 + |name| + 2 + 4·rank + 4-byte header per tensor, 6 bytes (bit width, axis, one scale) per quantized batch,
/// and the labels (one byte per image, 10 per batch, in their own Labels message per batch).
/// </summary>
public class TrafficTableTests(ITestOutputHelper output)
{
    private const double MiB = 1 << 20;
    private const int Images = 500, Batch = 10, Classes = 10, Client = 0;

    private sealed class Setup
    {
        public readonly Sequential Model = Vgg11.Create(Vgg11Variant.EcoFed, new RngStream(1, 1));
        public readonly Sequential Device;
        public readonly Linear Head = new(128 * 8 * 8, Classes, new RngStream(1, 2));
        public readonly List<float[]> Activations = [];
        public readonly List<int[]> Labels = [];

        public Setup()
        {
            Device = Model.Split(8).Front;
            var rng = new RngStream(1, 3);
            var tape = new Tape();
            using (tape.NoGrad())
                for (int b = 0; b < Images / Batch; b++)
                {
                    var x = new float[Batch * 3 * 32 * 32];
                    rng.FillNormal(x);
                    var y = Device.Forward(tape, new Variable(Tensor.FromArray(x, new Shape(Batch, 3, 32, 32))));
                    Assert.Equal(new Shape(Batch, 128, 8, 8), y.Shape);
                    Activations.Add(y.Data.ToArray());
                    Labels.Add(Enumerable.Range(0, Batch).Select(_ => rng.NextInt(Classes)).ToArray());
                    tape.Reset();
                }
        }
    }

    private static readonly Lazy<Setup> Shared = new(() => new Setup());

    private static WireTensor[] Dense(Module m) =>
        m.NamedParameters().Select(p => WireTensor.Dense(p.Name, p.Parameter.Shape, p.Parameter.Data.Span)).ToArray();

    private static void BothWays(ITransport t, int round, WireTensor[] weights)
    {
        t.Send(new Message(round, Message.Server, Client, MessageKind.Weights, weights));
        t.Send(new Message(round, Client, Message.Server, MessageKind.Weights, weights));
    }

    private static void ActivationsUp(ITransport t, Setup s, int round, int bits, bool gradientsDown)
    {
        var shape = new Shape(Batch, 128, 8, 8);
        for (int b = 0; b < s.Activations.Count; b++)
        {
            var a = s.Activations[b];
            var wire = bits == 32 ? WireTensor.Dense("activations", shape, a) : WireTensor.Quantized("activations", shape, a, bits);
            t.Send(new Message(round, Client, Message.Server, MessageKind.Activations, [wire]));
            t.Send(new Message(round, Client, Message.Server, MessageKind.Labels, [WireTensor.Labels("labels", s.Labels[b])]));
            // The gradient of the activations has their shape; its values do not change a dense encoding's size.
            if (gradientsDown) t.Send(new Message(round, Message.Server, Client, MessageKind.Gradients, [WireTensor.Dense("activations.grad", shape, a)]));
        }
    }

    private double Measure(string method, double expected, Action<ITransport, Setup> round)
    {
        var ledger = new TrafficLedger();
        var transport = new InProcessTransport(ledger);
        round(transport, Shared.Value);
        double mib = ledger.PerClientPerRound()[(0, Client)] / MiB;
        string kinds = string.Join(", ", ledger.ByKind().Select(k => $"{k.Key} {k.Value / MiB:F4}"));
        output.WriteLine($"{method}: {mib:F4} MiB (spec {expected}, {100 * (mib / expected - 1):+0.00;-0.00}%) [{kinds}]");
        Assert.InRange(mib / expected, 0.99, 1.01);
        return mib;
    }

    [Fact]
    public void ModelSizesAreThoseOfTheSpec()
    {
        Assert.Equal(34_440_970, Shared.Value.Model.ParameterCount());
        Assert.Equal(76_032, Shared.Value.Device.ParameterCount());
    }

    [Fact]
    public void FedAvg() =>
        Measure("FL", 262.8, (t, s) => BothWays(t, 0, Dense(s.Model)));

    [Fact]
    public void VanillaDpfl() =>
        Measure("Vanilla DPFL", 31.83, (t, s) =>
        {
            BothWays(t, 0, Dense(s.Device));
            ActivationsUp(t, s, 0, 32, gradientsDown: true);
        });

    [Fact]
    public void LocalLossDpfl() =>
        Measure("Local-loss DPFL", 16.83, (t, s) =>
        {
            BothWays(t, 0, [.. Dense(s.Device), .. Dense(s.Head)]);
            ActivationsUp(t, s, 0, 32, gradientsDown: false);
        });

    [Fact]
    public void FedGkt() =>
        Measure("FedGKT", 16.87, (t, s) =>
        {
            BothWays(t, 0, [.. Dense(s.Device), .. Dense(s.Head)]);
            ActivationsUp(t, s, 0, 32, gradientsDown: false);
            var logits = new float[Images * Classes];
            t.Send(new Message(0, Client, Message.Server, MessageKind.Logits, [WireTensor.Dense("device.logits", new Shape(Images, Classes), logits)]));
            t.Send(new Message(0, Message.Server, Client, MessageKind.Logits, [WireTensor.Dense("server.logits", new Shape(Images, Classes), logits)]));
        });

    [Fact]
    public void EcoFed8BitUpdateRoundAndAverageAtPeriodTwo()
    {
        double update = Measure("EcoFed (8-bit, update round)", 3.91, (t, s) => ActivationsUp(t, s, 0, 8, gradientsDown: false));
        // Period 2: the replay round moves nothing for this client, so the average over two rounds is half.
        double average = update / 2;
        output.WriteLine($"EcoFed averaged at P = 2: {average:F4} MiB (spec 1.95)");
        Assert.InRange(average / 1.95, 0.99, 1.01);
        // The spec's ratios are against the P = 2 average: FL / EcoFed about 134x, DPFL / EcoFed about 16x.
        Assert.InRange(262.8 / average, 133, 136);
        Assert.InRange(31.83 / average, 16, 16.5);
    }
}
