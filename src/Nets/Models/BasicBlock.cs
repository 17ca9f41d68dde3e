using NanoFed.Autograd;
using NanoFed.Nets.Modules;

namespace NanoFed.Nets.Models;

/// <summary>How a residual block matches its input to a wider, subsampled output (He et al. 2016, §4.2).</summary>
public enum ResNetShortcut
{
    /// <summary>Option A: subsample by 2 and zero-pad the new channels (no parameters).</summary>
    A,

    /// <summary>Option B: a 1×1 convolution with the block's stride, no bias, then batch norm ("shortcut.0", "shortcut.1").</summary>
    B,
}

/// <summary>
/// The CIFAR ResNet basic block (akamaster/pytorch_resnet_cifar10, resnet.py):
/// relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), 3×3 convolutions without bias, the first with the
/// block's stride. The shortcut is the identity unless the stride or the width changes.
/// </summary>
public sealed class BasicBlock : Module
{
    private readonly Conv2d _conv1, _conv2;
    private readonly BatchNorm2d _bn1, _bn2;
    private readonly Sequential? _projection;
    private readonly bool _padShortcut;
    private readonly int _outChannels;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/>.</summary>
    public BasicBlock(int inChannels, int outChannels, int stride, ResNetShortcut shortcut, RngStream rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        _outChannels = outChannels;
        _conv1 = AddChild("conv1", new Conv2d(inChannels, outChannels, 3, rng, stride, 1, bias: false));
        _bn1 = AddChild("bn1", new BatchNorm2d(outChannels));
        _conv2 = AddChild("conv2", new Conv2d(outChannels, outChannels, 3, rng, 1, 1, bias: false));
        _bn2 = AddChild("bn2", new BatchNorm2d(outChannels));
        if (stride == 1 && inChannels == outChannels) return;
        if (shortcut == ResNetShortcut.B)
        {
            _projection = AddChild("shortcut", new Sequential(
                new Conv2d(inChannels, outChannels, 1, rng, stride, 0, bias: false),
                new BatchNorm2d(outChannels)));
        }
        else
        {
            if (stride != 2 || outChannels != 2 * inChannels)
                throw new ArgumentException($"option-A shortcut needs stride 2 and doubled width, got stride {stride}, {inChannels} -> {outChannels}");
            _padShortcut = true;
        }
    }

    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x)
    {
        // The shortcut first: backward then reaches conv1 before it, so conv1's backward-data writes x's new
        // gradient in one pass and the shortcut's sparse contribution is added to it (same sum, same bits).
        var shortcut = _projection != null ? _projection.Forward(tape, x) : _padShortcut ? tape.ShortcutA(x, _outChannels) : x;
        var y = _conv1.Forward(tape, x, _bn1, relu: true);
        y = _conv2.Forward(tape, y, _bn2, relu: false);
        return tape.AddRelu(y, shortcut);
    }
}
