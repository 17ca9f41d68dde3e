using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// A <see cref="LocalLoss"/> device (Han et al. 2021): it loads the front and head it receives, trains them on its own
/// cross-entropy and, after each step, calls the server with the batch's activations and labels (the answer is an
/// acknowledgement); at turn end it replies with front, head and n_k.
/// </summary>
public sealed class LocalLossClient : SplitDeviceClient
{
    private LocalLossClient(FlClientData data, SplitDevice device)
        : base(data, device)
    {
    }

    /// <summary>Clients of a model from <paramref name="createModel"/> cut at <paramref name="splitIndex"/> with a head to <paramref name="classes"/>.</summary>
    public static Func<FlClientData, IFlClient> Factory(Func<Sequential> createModel, int splitIndex, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        return SplitDevice.Factory(createModel, splitIndex, classes, (data, device) => new LocalLossClient(data, device));
    }

    /// <inheritdoc/>
    protected override void Train(ITransport transport, RoundContext context, FedAvgOptions options) =>
        Device.TrainWithHead(Data, context.Rng(), options, teacher: null, temperature: 1, (activations, labels) =>
            SplitModel.Expect(transport.Call(SplitModel.ActivationsMessage(context.Round, Id, activations, labels)), MessageKind.Control, MessagePhase.Control));

    /// <inheritdoc/>
    protected override double Flops(FedAvgOptions options, int n) =>
        FlopCounter.TrainingFactor * (Device.FrontFlops + Device.HeadFlops) * ((long)n * options.E);
}
