using System.Globalization;
using NanoFed.Nets.Modules;

namespace NanoFed.Nets.Models;

/// <summary>Which normalization follows a model's convolutions.</summary>
public enum NormKind
{
    /// <summary>BatchNorm2d (batch statistics in training, running statistics at test time), then ReLU.</summary>
    Batch,

    /// <summary>GroupNorm (each image's groups of channels on their own), then ReLU.</summary>
    Group,

    /// <summary>EvoNorm-S0, normalization and activation in one: no ReLU after it.</summary>
    EvoNorm,
}

/// <summary>
/// The normalization a model uses after every convolution, and its group count (GroupNorm and EvoNorm-S0). Built as
/// the Sparse-Push authors' models choose it (aparna-aketi/Low_Precision_DL, quantized_training/resnet.py and
/// vgg.py, <c>normalization(planes, groups, norm_type)</c>): GroupNorm with 2 groups by default, their
/// <c>normalization</c>'s default (8 channels a group in ResNet's 16-channel layers, 32 in VGG's first), and
/// EvoNorm-S0 with its own default of 8 groups; with EvoNorm-S0 the ReLU that follows the normalization is left out.
/// Written "batch", "group", "group:G", "evonorm" or "evonorm:G" (the --norm option, and run configurations).
/// </summary>
public sealed record NormSpec(NormKind Kind, int Groups)
{
    /// <summary>GroupNorm's default group count (the authors' <c>normalization(planes, groups=2)</c>).</summary>
    public const int DefaultGroupNormGroups = 2;

    /// <summary>BatchNorm2d.</summary>
    public static NormSpec Batch { get; } = new(NormKind.Batch, 0);

    /// <summary>Whether the normalization is also the activation (EvoNorm-S0), so that no ReLU follows it.</summary>
    public bool IsActivation => Kind == NormKind.EvoNorm;

    /// <summary>A normalization module for <paramref name="channels"/> channels; BatchNorm with batch statistics always when <paramref name="batchStatsAlways"/>.</summary>
    public Module Create(int channels, bool batchStatsAlways = false) => Kind switch
    {
        NormKind.Batch => new BatchNorm2d(channels, batchStatsAlways),
        NormKind.Group => new GroupNorm(Groups, channels),
        _ => new EvoNormS0(channels, Groups),
    };

    /// <summary>Throws an <see cref="ArgumentException"/> naming --norm unless the group count divides every width.</summary>
    public void CheckWidths(string model, IEnumerable<int> widths)
    {
        ArgumentNullException.ThrowIfNull(widths);
        if (Kind == NormKind.Batch) return;
        foreach (int c in widths)
        {
            if (c % Groups != 0)
                throw new ArgumentException($"--norm: {Groups} groups do not divide the {c}-channel layers of {model}");
        }
    }

    /// <summary>Parses "batch", "group[:G]" or "evonorm[:G]"; throws an <see cref="ArgumentException"/> naming --norm otherwise.</summary>
    public static NormSpec Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        int colon = text.IndexOf(':', StringComparison.Ordinal);
        string kind = colon < 0 ? text : text[..colon];
        int? groups = null;
        if (colon >= 0)
        {
            if (!int.TryParse(text[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int g) || g <= 0)
                throw new ArgumentException($"--norm: the group count in '{text}' must be a positive integer");
            groups = g;
        }
        return kind switch
        {
            "batch" when groups is null => Batch,
            "group" => new NormSpec(NormKind.Group, groups ?? DefaultGroupNormGroups),
            "evonorm" => new NormSpec(NormKind.EvoNorm, groups ?? EvoNormS0.DefaultGroups),
            _ => throw new ArgumentException($"--norm: unknown normalization '{text}' (known: batch, group[:G], evonorm[:G])"),
        };
    }

    /// <summary>The text <see cref="Parse"/> reads back: "batch", "group:G" or "evonorm:G".</summary>
    public override string ToString() => Kind switch
    {
        NormKind.Batch => "batch",
        NormKind.Group => string.Create(CultureInfo.InvariantCulture, $"group:{Groups}"),
        _ => string.Create(CultureInfo.InvariantCulture, $"evonorm:{Groups}"),
    };
}
