using System.Runtime.InteropServices;
using NanoFed.Autograd;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// A <see cref="FedGkt"/> device (He, Annavaram and Avestimehr 2020, arXiv 2007.14513, Eqs. 4–5): it loads the front
/// and head it receives and trains them on CE, plus T²·KL towards the server logits it kept from its previous turn
/// (its own state; its first turn is CE only). Then, in evaluation mode without gradients, it passes its data in
/// order, calling the server with each batch's features and labels, and calls it with all its logits; it keeps the
/// server logits the answer carries for its next turn (<see cref="IKeepsState"/>: a host that rebuilds its
/// clients saves them in between), and replies with front, head and n_k.
/// </summary>
public sealed class FedGktClient : SplitDeviceClient, IKeepsState
{
    private float[]? _serverLogits;

    private FedGktClient(FlClientData data, SplitDevice device)
        : base(data, device)
    {
    }

    /// <summary>Clients of a model from <paramref name="createModel"/> cut at <paramref name="splitIndex"/> with a head to <paramref name="classes"/>.</summary>
    public static Func<FlClientData, IFlClient> Factory(Func<Sequential> createModel, int splitIndex, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        return SplitDevice.Factory(createModel, splitIndex, classes, (data, device) => new FedGktClient(data, device));
    }

    /// <inheritdoc/>
    public byte[]? SaveKept() => _serverLogits is null ? null : MemoryMarshal.AsBytes(_serverLogits.AsSpan()).ToArray();

    /// <inheritdoc/>
    public void RestoreKept(byte[] kept)
    {
        ArgumentNullException.ThrowIfNull(kept);
        if (kept.Length != Data.Data.Count * Device.Classes * sizeof(float))
            throw new ArgumentException($"client {Id} keeps {Data.Data.Count} x {Device.Classes} server logits, was given {kept.Length} bytes", nameof(kept));
        _serverLogits = MemoryMarshal.Cast<byte, float>(kept).ToArray();
    }

    /// <inheritdoc/>
    protected override void Train(ITransport transport, RoundContext context, FedAvgOptions options)
    {
        float temperature = (float)context[Instructions.Temperature];
        Device.TrainWithHead(Data, context.Rng(), options, _serverLogits, temperature, onBatch: null);
        var reply = SplitModel.Expect(transport.Call(Transfer(transport, context.Round, options.B)), MessageKind.Logits);
        _serverLogits = reply[FedGkt.ServerLogitsName].ToArray();
    }

    /// <inheritdoc/>
    protected override double Flops(FedAvgOptions options, int n) =>
        (FlopCounter.TrainingFactor * options.E + 1) * (Device.FrontFlops + Device.HeadFlops) * n;

    /// <summary>The evaluation pass over the data in order: each batch's features and labels go to the server; returns the message of all the logits.</summary>
    private Message Transfer(ITransport transport, int round, int batchSize)
    {
        int n = Data.Data.Count, classes = Device.Classes;
        var logits = new float[n * classes];
        var (front, head, tape) = (Device.Front, Device.Head!, Device.Tape);
        front.Eval();
        head.Eval();
        using (tape.NoGrad())
        using (var loader = LocalTraining.InOrder(Data, batchSize))
            foreach (var batch in loader.Epoch(0))
            {
                var a = front.Forward(tape, new Variable(batch.Images));
                head.Forward(tape, a).Data.Span.CopyTo(logits.AsSpan(batch.Index * batchSize * classes));
                SplitModel.Expect(transport.Call(SplitModel.ActivationsMessage(round, Id, a.Data, batch.Labels)), MessageKind.Control, MessagePhase.Control);
                tape.Reset();
            }
        front.Train();
        head.Train();
        return new Message(round, Id, Message.Server, MessageKind.Logits, [WireTensor.Dense(FedGkt.DeviceLogitsName, new Shape(n, classes), logits)]);
    }
}
