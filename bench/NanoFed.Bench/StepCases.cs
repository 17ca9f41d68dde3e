namespace NanoFed.Bench;

/// <summary>
/// Whole-network cases, as the peer times them (<see cref="TrainStep"/>): training step and eval-mode inference of
/// ResNet-20 (option A) and VGG11 (BatchNorm variant) at batch 128. Named as the peer's lines ("resnet20 train step bs=128").
/// </summary>
internal static class StepCases
{
    /// <summary>Batch size of every case.</summary>
    public const int Batch = 128;

    /// <summary>The networks, by <see cref="Nets.Training.ModelCatalog"/> name.</summary>
    public static readonly string[] Networks = ["resnet20", "vgg11"];

    /// <summary>Training step and inference for each network whose case name <paramref name="wanted"/> accepts; models are built lazily, only for those.</summary>
    public static IEnumerable<(string Name, Action Run)> All(Func<string, bool> wanted)
    {
        foreach (string network in Networks)
        {
            string train = $"{network} train step bs={Batch}", infer = $"{network} inference bs={Batch}";
            if (!wanted(train) && !wanted(infer)) continue;
            var step = new TrainStep(network, Batch);
            if (wanted(train)) yield return (train, () => step.Step());
            if (wanted(infer)) yield return (infer, step.Infer);
        }
    }
}
