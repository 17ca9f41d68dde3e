using NanoFed.Nets.Modules;

namespace NanoFed.Nets.Models;

/// <summary>
/// ResNet-20/32/44/56 for 32×32 CIFAR images (He et al. 2016, arXiv 1512.03385, §4.2; layout and names of
/// akamaster/pytorch_resnet_cifar10): a 3×3 conv to 16 channels, three stages of n = (depth − 2)/6 basic blocks at
/// 16, 32 and 64 channels (stride 2 at the start of stages 2 and 3), global average pooling and a linear layer.
/// The model is a flat <see cref="Sequential"/> whose children are named as akamaster's modules, blocks included,
/// so a split can fall between any two blocks: 0 conv1 | 1 bn1 | 2 relu | 3 layer1.0 | ... | 3 + n − 1 layer1.(n−1) |
/// 3 + n layer2.0 | ... | 3 + 3n − 1 layer3.(n−1) | 3 + 3n avgpool | 4 + 3n linear (ResNet-20: blocks at 3..11,
/// avgpool 12, linear 13). State-dict names are akamaster's ("conv1.weight", "layer1.0.bn1.running_mean",
/// "layer2.0.shortcut.0.weight", "linear.bias").
/// Initialization as akamaster's <c>_weights_init</c>: kaiming_normal_ (fan_in, gain √2) on every conv and
/// linear weight; linear bias PyTorch's default uniform(±1/√64); batch norm weight 1, bias 0.
/// Parameters for 10 classes: ResNet-20 269,722 (A) / 272,474 (B); ResNet-32 464,154 (A); ResNet-44 658,586 (A);
/// ResNet-56 853,018 (A) / 855,770 (B).
/// Another <see cref="NormSpec"/> replaces every BatchNorm (names unchanged: "bn1", "layer1.0.bn2",
/// "layer2.0.shortcut.1"), as the Sparse-Push authors' resnet.py does; GroupNorm keeps the ReLUs and the parameter
/// count, EvoNorm-S0 adds v (C) per norm and drops every ReLU, the stem's "relu" child included (ResNet-20: 270,410
/// parameters with A, 273,258 with B), so its split indices are one lower.
/// </summary>
public static class ResNetCifar
{
    /// <summary>Builds a ResNet of <paramref name="depth"/> = 6n + 2 layers (20, 32, 44, 56, ...).</summary>
    public static Sequential Create(int depth, ResNetShortcut shortcut, RngStream rng, int classes = 10, NormSpec? norm = null)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (depth < 8 || (depth - 2) % 6 != 0)
            throw new ArgumentOutOfRangeException(nameof(depth), depth, "CIFAR ResNet depth must be 6n + 2 (20, 32, 44, 56, ...)");
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "need at least one class");
        norm ??= NormSpec.Batch;
        norm.CheckWidths($"ResNet-{depth}", Widths);
        int blocks = (depth - 2) / 6;
        var model = new Sequential(
            ("conv1", new Conv2d(3, 16, 3, rng, 1, 1, bias: false)),
            ("bn1", norm.Create(16)));
        if (!norm.IsActivation) model.Add("relu", new ReLU());
        int inChannels = 16;
        for (int stage = 0; stage < 3; stage++)
        {
            for (int b = 0; b < blocks; b++)
            {
                int stride = stage > 0 && b == 0 ? 2 : 1;
                model.Add($"layer{stage + 1}.{b}", new BasicBlock(inChannels, Widths[stage], stride, shortcut, rng, norm));
                inChannels = Widths[stage];
            }
        }
        model.Add("avgpool", new GlobalAvgPool2d());
        model.Add("linear", new Linear(64, classes, rng));
        foreach (var weight in ConvAndLinearWeights(model)) Init.KaimingNormal(weight.Data, rng);
        return model;
    }

    /// <summary>The stages' widths.</summary>
    public static IReadOnlyList<int> Widths { get; } = [16, 32, 64];

    /// <summary>Every convolution's and linear layer's weight in state_dict order (not EvoNorm-S0's 4-d weight, which stays 1).</summary>
    private static IEnumerable<Autograd.Variable> ConvAndLinearWeights(Module module)
    {
        foreach (var (_, child) in module.Children)
        {
            switch (child)
            {
                case Conv2d conv: yield return conv.Weight; break;
                case Linear linear: yield return linear.Weight; break;
                default:
                    foreach (var w in ConvAndLinearWeights(child)) yield return w;
                    break;
            }
        }
    }

    /// <summary>ResNet-20 (3 blocks per stage).</summary>
    public static Sequential ResNet20(ResNetShortcut shortcut, RngStream rng, int classes = 10, NormSpec? norm = null) =>
        Create(20, shortcut, rng, classes, norm);

    /// <summary>ResNet-32 (5 blocks per stage).</summary>
    public static Sequential ResNet32(ResNetShortcut shortcut, RngStream rng, int classes = 10) => Create(32, shortcut, rng, classes);

    /// <summary>ResNet-44 (7 blocks per stage).</summary>
    public static Sequential ResNet44(ResNetShortcut shortcut, RngStream rng, int classes = 10) => Create(44, shortcut, rng, classes);

    /// <summary>ResNet-56 (9 blocks per stage).</summary>
    public static Sequential ResNet56(ResNetShortcut shortcut, RngStream rng, int classes = 10) => Create(56, shortcut, rng, classes);
}
