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
    /// The normalization of --norm <paramref name="norm"/> for model <paramref name="name"/>: null for "" (the model's
    /// own); throws <see cref="ArgumentException"/> naming --norm for an unknown normalization, a group count that does
    /// not divide the model's widths, or a model without normalization layers to choose (smallcnn).
    /// </summary>
    public static NormSpec? ParseNorm(string name, string? norm)
    {
        // A configuration file can hold "norm": null; it is bad input, not a programming error.
        if (norm is null) throw new ArgumentException("--norm must be a normalization (batch, group:G, evonorm) or empty for the model's own, got null");
        Check(name);
        if (norm.Length == 0) return null;
        var parsed = NormSpec.Parse(norm);
        if (name == "smallcnn") throw new ArgumentException("--norm: smallcnn has no normalization layers to choose");
        parsed.CheckWidths(name, name.StartsWith("vgg", StringComparison.Ordinal) ? Vgg11.Widths : ResNetCifar.Widths);
        return parsed;
    }

    /// <summary>
    /// Builds model <paramref name="name"/>, initialized from <c>RngStream(seed, 0)</c>: resnet20/32/44/56 with
    /// shortcut A (resnet20b: B), vgg11 (BatchNorm), vgg11-sp (Sparse-Push), vgg11-ecofed, smallcnn. A
    /// <paramref name="norm"/> (see <see cref="ParseNorm"/>) replaces the model's normalization (null: its own).
    /// </summary>
    public static Sequential Create(string name, ulong seed, int classes = 10, NormSpec? norm = null)
    {
        Check(name);
        if (norm is not null && name == "smallcnn") throw new ArgumentException("--norm: smallcnn has no normalization layers to choose");
        var rng = new RngStream(seed, 0);
        return name switch
        {
            "resnet20" => ResNetCifar.ResNet20(ResNetShortcut.A, rng, classes, norm),
            "resnet20b" => ResNetCifar.ResNet20(ResNetShortcut.B, rng, classes, norm),
            "resnet32" => ResNetCifar.Create(32, ResNetShortcut.A, rng, classes, norm),
            "resnet44" => ResNetCifar.Create(44, ResNetShortcut.A, rng, classes, norm),
            "resnet56" => ResNetCifar.Create(56, ResNetShortcut.A, rng, classes, norm),
            "vgg11" => Vgg11.Create(Vgg11Variant.BatchNorm, rng, classes, norm),
            "vgg11-sp" => Vgg11.Create(Vgg11Variant.SparsePush, rng, classes, norm),
            "vgg11-ecofed" => Vgg11.Create(Vgg11Variant.EcoFed, rng, classes, norm),
            _ => SmallCnn.Create(rng, classes),
        };
    }
}
