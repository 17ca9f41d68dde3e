using NanoFed.Autograd;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// A <see cref="SplitFed"/> device (Thapa et al. 2022, arXiv 2004.12088, SplitFedV1): it loads the front it receives,
/// and per batch runs the front forward, calls the server with the activations and labels, back-propagates the
/// gradient the server answers with and steps its SGD; at turn end it replies with its front and n_k.
/// </summary>
public sealed class SplitFedClient : SplitDeviceClient
{
    private SplitFedClient(FlClientData data, SplitDevice device)
        : base(data, device)
    {
    }

    /// <summary>Clients of a model from <paramref name="createModel"/> cut at <paramref name="splitIndex"/>; in-process clients share one device part.</summary>
    public static Func<FlClientData, IFlClient> Factory(Func<Sequential> createModel, int splitIndex) =>
        SplitDevice.Factory(createModel, splitIndex, classes: 0, (data, device) => new SplitFedClient(data, device));

    /// <inheritdoc/>
    protected override double Flops(FedAvgOptions options, int n) => FlopCounter.TrainingFactor * Device.FrontFlops * ((long)n * options.E);

    /// <inheritdoc/>
    protected override void Train(ITransport transport, RoundContext context, FedAvgOptions options)
    {
        var tape = Device.Tape;
        var sgd = LocalTraining.Sgd(Device.Front.Parameters(), options);
        using var loader = LocalTraining.Loader(Data, context.Rng(), options.B);
        for (int epoch = 0; epoch < options.E; epoch++)
        {
            foreach (var batch in loader.Epoch(epoch))
            {
                sgd.ZeroGrad();
                var activations = Device.Front.Forward(tape, new Variable(batch.Images));
                var down = SplitModel.Expect(transport.Call(SplitModel.ActivationsMessage(context.Round, Id, activations.Data, batch.Labels)), MessageKind.Gradients);
                tape.Backward(activations, Tensor.FromArray(down[SplitFed.GradientName].ToArray(), activations.Shape));
                sgd.Step();
                tape.Reset();
            }
        }
    }
}
