namespace NanoFed.Bench;

/// <summary>
/// Whole-network cases, as the peers time them (<see cref="TrainStep"/>): training step and eval-mode inference of
/// ResNet-20 (option A) and VGG11 (BatchNorm variant) at batch 128, and the training steps at the batch sizes the
/// distributed experiments run: ResNet-20 at batch 16 (a Sparse-Push agent) and VGG11-EcoFed at batch 10 (a
/// federated client). Named as the peers' lines ("resnet20 train step bs=128").
/// </summary>
internal static class StepCases
{
    /// <summary>Batch size of the main cases.</summary>
    public const int Batch = 128;

    /// <summary>The networks of the main cases, by <see cref="Nets.Training.ModelCatalog"/> name.</summary>
    public static readonly string[] Networks = ["resnet20", "vgg11"];

    /// <summary>The small-batch training steps: network and batch size.</summary>
    public static readonly (string Network, int Batch)[] SmallBatch = [("resnet20", 16), ("vgg11-ecofed", 10)];

    /// <summary>A training step's case name.</summary>
    public static string TrainName(string network, int batch) => $"{network} train step bs={batch}";

    /// <summary>Whether <paramref name="wanted"/> accepts any small-batch case (the peer then runs them).</summary>
    public static bool AnySmallBatch(Func<string, bool> wanted) => SmallBatch.Any(c => wanted(TrainName(c.Network, c.Batch)));

    /// <summary>
    /// Training step and inference for each network whose case name <paramref name="wanted"/> accepts, then the
    /// small-batch steps; models are built lazily, only for those.
    /// </summary>
    public static IEnumerable<(string Name, int Batch, Action Run)> All(Func<string, bool> wanted)
    {
        foreach (string network in Networks)
        {
            string train = TrainName(network, Batch), infer = $"{network} inference bs={Batch}";
            if (!wanted(train) && !wanted(infer)) continue;
            var step = new TrainStep(network, Batch);
            if (wanted(train)) yield return (train, Batch, () => step.Step());
            if (wanted(infer)) yield return (infer, Batch, step.Infer);
        }
        foreach (var (network, batch) in SmallBatch)
        {
            string name = TrainName(network, batch);
            if (!wanted(name)) continue;
            var step = new TrainStep(network, batch);
            yield return (name, batch, () => step.Step());
        }
    }
}
