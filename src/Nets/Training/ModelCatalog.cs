using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;

namespace NanoFed.Nets.Training;

/// <summary>The models `nanofed train` knows, by the names its --model option takes.</summary>
public static class ModelCatalog
{
    /// <summary>Every model name.</summary>
    public static IReadOnlyList<string> Names { get; } =
        ["resnet20", "resnet20b", "resnet32", "resnet44", "resnet56", "vgg11", "vgg11-sp", "vgg11-ecofed", "smallcnn"];

    /// <summary>The dataset a model is built for: 28x28 grey for smallcnn, else 32x32 colour.</summary>
    public static bool IsGrey(string name) => name == "smallcnn";

    /// <summary>Throws <see cref="ArgumentException"/> for an unknown name.</summary>
    public static void Check(string name)
    {
        if (!Names.Contains(name))
            throw new ArgumentException($"--model: unknown model '{name}' (known: {string.Join(", ", Names)})");
    }

    /// <summary>
    /// Builds model <paramref name="name"/>, initialized from <c>RngStream(seed, 0)</c>: resnet20/32/44/56 with
    /// shortcut A (resnet20b: B), vgg11 (BatchNorm), vgg11-sp (Sparse-Push), vgg11-ecofed, smallcnn.
    /// </summary>
    public static Sequential Create(string name, ulong seed, int classes = 10)
    {
        Check(name);
        var rng = new RngStream(seed, 0);
        return name switch
        {
            "resnet20" => ResNetCifar.ResNet20(ResNetShortcut.A, rng, classes),
            "resnet20b" => ResNetCifar.ResNet20(ResNetShortcut.B, rng, classes),
            "resnet32" => ResNetCifar.ResNet32(ResNetShortcut.A, rng, classes),
            "resnet44" => ResNetCifar.ResNet44(ResNetShortcut.A, rng, classes),
            "resnet56" => ResNetCifar.ResNet56(ResNetShortcut.A, rng, classes),
            "vgg11" => Vgg11.Create(Vgg11Variant.BatchNorm, rng, classes),
            "vgg11-sp" => Vgg11.Create(Vgg11Variant.SparsePush, rng, classes),
            "vgg11-ecofed" => Vgg11.Create(Vgg11Variant.EcoFed, rng, classes),
            _ => SmallCnn.Create(rng, classes),
        };
    }
}
