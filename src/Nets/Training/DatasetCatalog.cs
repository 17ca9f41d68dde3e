using NanoFed.Nets.Data;

namespace NanoFed.Nets.Training;

/// <summary>The datasets `nanofed train` knows, by the names its --dataset option takes, with their normalization.</summary>
public static class DatasetCatalog
{
    /// <summary>Every dataset name.</summary>
    public static IReadOnlyList<string> Names { get; } = ["cifar10", "fashion-mnist"];

    /// <summary>Throws <see cref="ArgumentException"/> for an unknown name.</summary>
    public static void Check(string name)
    {
        if (!Names.Contains(name))
            throw new ArgumentException($"--dataset: unknown dataset '{name}' (known: {string.Join(", ", Names)})");
    }

    /// <summary>The per-channel normalization of dataset <paramref name="name"/> (its training mean and std).</summary>
    public static Normalization NormalizationOf(string name)
    {
        Check(name);
        return name == "cifar10" ? Cifar10.Normalization : Normalization.FashionMnist;
    }

    /// <summary>The training augmentation: CIFAR's crop and flip for cifar10, none for fashion-mnist.</summary>
    public static Augmentation? AugmentationOf(string name)
    {
        Check(name);
        return name == "cifar10" ? Augmentation.Cifar : null;
    }
}
