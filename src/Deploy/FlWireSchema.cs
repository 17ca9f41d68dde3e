using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;

namespace NanoFed.Deploy;

/// <summary>
/// What a server or a device of a federated run accepts from the network: the model's tensors at their exact shapes,
/// a FedAvg reply's sample count, the cut activations and their gradients (any batch, the cut's own shape), EcoFed's
/// numbered activation batches, labels, logits, the round context's key and instructions, and the orchestration's
/// fields (<see cref="Orchestration"/>); every float finite.
/// </summary>
public static class FlWireSchema
{
    /// <summary>The largest message accepted: 256 MiB.</summary>
    public const long MaxMessageBytes = 256L << 20;

    /// <summary>The schema of the run <paramref name="config"/> describes.</summary>
    public static MessageSchema For(FlConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        config = config.Resolve();
        const int classes = 10;
        int[] input = Nets.Training.ModelCatalog.IsGrey(config.Model) ? [1, 28, 28] : [3, 32, 32];
        var model = FlExperiment.ModelFactory(config, classes)();
        var encodings = Enum.GetValues<WireEncoding>();
        var specs = new List<TensorSpec>(TensorSpecFor(model.StateDict().Select(t => (t.Name, t.Value.Shape.ToArray())), encodings))
        {
            new(FedAvg.SampleCountName, [1], encodings),
        };
        int[] cut = [TensorSpec.AnyDim, .. FlopCounter.OutputShape(model.Split(config.SplitIndex).Front, input)];
        specs.Add(new TensorSpec("activations", cut, encodings));
        specs.Add(new TensorSpec(SplitFed.GradientName, cut, encodings));
        specs.Add(new TensorSpec(EcoFed.LabelsName, [TensorSpec.AnyDim], encodings));
        specs.Add(new TensorSpec(FedGkt.DeviceLogitsName, [TensorSpec.AnyDim, classes], encodings));
        specs.Add(new TensorSpec(FedGkt.ServerLogitsName, [TensorSpec.AnyDim, classes], encodings));
        long batches = Math.Min(1 << 16, (long)config.Clients * config.SamplesPerClient / config.Batch + 1);
        for (int j = 0; j < batches; j++) specs.Add(new TensorSpec(EcoFed.ActivationsPrefix + j, cut, encodings));
        foreach (var name in Orchestration.Fields.Concat(RoundContextFields))
            specs.Add(new TensorSpec(name, [TensorSpec.AnyDim], [WireEncoding.Bytes], maxElements: 1 << 20));
        return new MessageSchema(specs, MaxMessageBytes, maxTensors: specs.Count);
    }

    private static readonly string[] RoundContextFields =
    [
        "key", Instructions.Epochs, Instructions.Batch, Instructions.Lr, Instructions.Momentum, Instructions.WeightDecay, Instructions.Nesterov,
        Instructions.Temperature, Instructions.Bits, Instructions.PerChannel,
    ];

    private static IEnumerable<TensorSpec> TensorSpecFor(IEnumerable<(string Name, int[] Shape)> tensors, WireEncoding[] encodings) =>
        tensors.Select(t => new TensorSpec(t.Name, t.Shape, encodings));
}
