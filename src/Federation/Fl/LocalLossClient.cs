using NanoFed.Federation.SystemModel;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// A <see cref="LocalLoss"/> device (Han et al. 2021): it loads the front and head it receives, trains them on its own
/// cross-entropy and, after each step, calls the server with the batch's activations and labels (the answer is an
/// acknowledgement); at turn end it replies with front, head and n_k.
/// </summary>
public sealed class LocalLossClient : IFlClient
{
    private readonly FlClientData _data;
    private readonly SplitDevice _device;

    private LocalLossClient(FlClientData data, SplitDevice device)
    {
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _device = device;
    }

    /// <summary>Clients of a model from <paramref name="createModel"/> cut at <paramref name="splitIndex"/> with a head to <paramref name="classes"/>.</summary>
    public static Func<FlClientData, IFlClient> Factory(Func<Sequential> createModel, int splitIndex, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        return SplitDevice.Factory(createModel, splitIndex, classes, (data, device) => new LocalLossClient(data, device));
    }

    /// <inheritdoc/>
    public int Id => _data.Id;

    /// <inheritdoc/>
    public double Work(ITransport transport)
    {
        ArgumentNullException.ThrowIfNull(transport);
        var inbox = transport.ReceiveAll(Id);
        if (RoundContext.Find(Id, inbox) is not { } context) return 0;
        var options = FedAvgOptions.From(context);
        _device.Receive(context.Round, Id, inbox);
        int n = _data.Data.Count;
        if (n > 0)
            _device.TrainWithHead(_data, context.Rng(), options, teacher: null, temperature: 1, (activations, labels) =>
                SplitModel.Expect(transport.Call(SplitModel.ActivationsMessage(context.Round, Id, activations, labels)), MessageKind.Control, MessagePhase.Control));
        transport.Send(_device.Reply(context.Round, Id, n));
        long images = (long)n * options.E;
        return FlopCounter.TrainingFactor * (_device.FrontFlops + _device.HeadFlops) * images;
    }
}
