using NanoFed.Nets.Modules;

namespace NanoFed.Nets.Models;

/// <summary>The VGG11 variants the two papers use (all for 32×32 inputs).</summary>
public enum Vgg11Variant
{
    /// <summary>
    /// Conv (with bias) + BatchNorm + ReLU, five max-pools down to 512×1×1, classifier one linear layer 512 → classes
    /// (kuangliu/pytorch-cifar's VGG('VGG11')). 9,231,114 parameters for 10 classes.
    /// </summary>
    BatchNorm,

    /// <summary>
    /// Sparse-Push (specs/sparse-push.md): conv with bias, no BatchNorm, five max-pools, classifier Dropout(0.5) →
    /// Linear 512→512 → ReLU → Linear 512→classes. 9,488,266 parameters for 10 classes.
    /// </summary>
    SparsePush,

    /// <summary>
    /// EcoFed (specs/ecofed.md): conv with bias + BatchNorm on batch statistics always + ReLU, the last max-pool
    /// left out so the features end at 512×2×2 = 2048, classifier as torchvision's VGG: Linear 2048→4096, ReLU,
    /// Dropout(0.5), Linear 4096→4096, ReLU, Dropout(0.5), Linear 4096→classes. 34,440,970 parameters for 10 classes.
    /// </summary>
    EcoFed,
}

/// <summary>
/// VGG11 (configuration A of Simonyan and Zisserman 2015, arXiv 1409.1556: 64, M, 128, M, 256, 256, M, 512, 512,
/// M, 512, 512, M) for CIFAR. A flat <see cref="Sequential"/> whose children keep torchvision's names:
/// "features.0", "features.1", ... (conv, [bn,] relu, pool in order), then "flatten", then "classifier" (one
/// linear layer) or "classifier.0", "classifier.1", ...; so the split index counts layers one by one (split at
/// 8 in the BatchNorm and EcoFed variants leaves conv64-BN-ReLU-pool-conv128-BN-ReLU-pool on the device, EcoFed's
/// default cut). Initialization as torchvision's VGG: conv weight kaiming_normal_(mode="fan_out", relu), conv bias
/// 0, BatchNorm weight 1 bias 0, linear weight normal(0, 0.01), linear bias 0.
/// A <see cref="NormSpec"/> puts that norm after every convolution instead (in the Sparse-Push variant too, as the
/// Sparse-Push authors' vgg.py does): conv, norm, ReLU, or conv, EvoNorm-S0 with no ReLU, the children numbered in
/// that order ("features.1.weight" is the first norm's weight, as in PyTorch's Sequential).
/// </summary>
public static class Vgg11
{
    private static readonly int[] Config = [64, 0, 128, 0, 256, 256, 0, 512, 512, 0, 512, 512, 0]; // 0 = max-pool

    /// <summary>The convolutions' widths.</summary>
    public static IReadOnlyList<int> Widths { get; } = [64, 128, 256, 512];

    /// <summary>
    /// Builds <paramref name="variant"/> for <paramref name="classes"/> classes; dropout layers get streams split from
    /// <paramref name="rng"/>. <paramref name="norm"/>, when given, is the normalization after every convolution (the
    /// EcoFed variant's BatchNorm keeps batch statistics always).
    /// </summary>
    public static Sequential Create(Vgg11Variant variant, RngStream rng, int classes = 10, NormSpec? norm = null)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "need at least one class");
        norm?.CheckWidths("VGG11", Widths);
        if (variant != Vgg11Variant.SparsePush) norm ??= NormSpec.Batch;
        var model = new Sequential();
        int index = 0, inChannels = 3;
        int layers = variant == Vgg11Variant.EcoFed ? Config.Length - 1 : Config.Length;
        for (int i = 0; i < layers; i++)
        {
            if (Config[i] == 0)
            {
                model.Add($"features.{index++}", new MaxPool2d(2, 2));
                continue;
            }
            model.Add($"features.{index++}", new Conv2d(inChannels, Config[i], 3, rng, 1, 1, bias: true));
            if (norm is not null) model.Add($"features.{index++}", norm.Create(Config[i], batchStatsAlways: variant == Vgg11Variant.EcoFed));
            if (norm is null || !norm.IsActivation) model.Add($"features.{index++}", new ReLU());
            inChannels = Config[i];
        }
        model.Add("flatten", new Flatten());
        switch (variant)
        {
            case Vgg11Variant.BatchNorm:
                model.Add("classifier", new Linear(512, classes, rng));
                break;
            case Vgg11Variant.SparsePush:
                model.Add("classifier.0", new Dropout(0.5f, rng.Split(0)));
                model.Add("classifier.1", new Linear(512, 512, rng));
                model.Add("classifier.2", new ReLU());
                model.Add("classifier.3", new Linear(512, classes, rng));
                break;
            case Vgg11Variant.EcoFed:
                model.Add("classifier.0", new Linear(2048, 4096, rng));
                model.Add("classifier.1", new ReLU());
                model.Add("classifier.2", new Dropout(0.5f, rng.Split(0)));
                model.Add("classifier.3", new Linear(4096, 4096, rng));
                model.Add("classifier.4", new ReLU());
                model.Add("classifier.5", new Dropout(0.5f, rng.Split(1)));
                model.Add("classifier.6", new Linear(4096, classes, rng));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(variant), variant, "unknown VGG11 variant");
        }
        Initialize(model, rng);
        return model;
    }

    private static void Initialize(Sequential model, RngStream rng)
    {
        for (int i = 0; i < model.Count; i++)
        {
            switch (model[i])
            {
                case Conv2d conv:
                    Init.KaimingNormal(conv.Weight.Data, rng, fanOut: true);
                    conv.Bias?.Data.Span.Clear();
                    break;
                case Linear linear:
                    Init.Normal(linear.Weight.Data, rng, 0f, 0.01f);
                    linear.Bias?.Data.Span.Clear();
                    break;
            }
        }
    }
}
