using NanoFed.Autograd;
using NanoFed.Nets.Modules;

namespace NanoFed.Nets.Models;

/// <summary>How a residual block matches its input to a wider, subsampled output (He et al. 2016, §4.2).</summary>
public enum ResNetShortcut
{
    /// <summary>Option A: subsample by 2 and zero-pad the new channels (no parameters).</summary>
    A,

    /// <summary>Option B: a 1×1 convolution with the block's stride, no bias, then the block's normalization ("shortcut.0", "shortcut.1").</summary>
    B,
}

/// <summary>
/// The CIFAR ResNet basic block (akamaster/pytorch_resnet_cifar10, resnet.py):
/// relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)), 3×3 convolutions without bias, the first with the
/// block's stride. The shortcut is the identity unless the stride or the width changes. bn1 and bn2 (and the
/// option-B shortcut's norm) are the block's <see cref="NormSpec"/>; with EvoNorm-S0, which is its own
/// activation, the block is bn2(conv2(bn1(conv1(x)))) + shortcut(x) with no ReLU (the Sparse-Push authors' resnet.py).
/// </summary>
public sealed class BasicBlock : Module
{
    private readonly Conv2d _conv1, _conv2;
    private readonly Module _bn1, _bn2;
    private readonly Sequential? _projection;
    private readonly bool _padShortcut, _normIsActivation;
    private readonly int _outChannels;

    /// <summary>A block from <paramref name="inChannels"/> to <paramref name="outChannels"/>, with BatchNorm unless <paramref name="norm"/> says otherwise.</summary>
    public BasicBlock(int inChannels, int outChannels, int stride, ResNetShortcut shortcut, RngStream rng, NormSpec? norm = null)
    {
        ArgumentNullException.ThrowIfNull(rng);
        norm ??= NormSpec.Batch;
        _outChannels = outChannels;
        _normIsActivation = norm.IsActivation;
        _conv1 = AddChild("conv1", new Conv2d(inChannels, outChannels, 3, rng, stride, 1, bias: false));
        _bn1 = AddChild("bn1", norm.Create(outChannels));
        _conv2 = AddChild("conv2", new Conv2d(outChannels, outChannels, 3, rng, 1, 1, bias: false));
        _bn2 = AddChild("bn2", norm.Create(outChannels));
        if (stride == 1 && inChannels == outChannels) return;
        if (shortcut == ResNetShortcut.B)
        {
            _projection = AddChild("shortcut", new Sequential(
                new Conv2d(inChannels, outChannels, 1, rng, stride, 0, bias: false),
                norm.Create(outChannels)));
        }
        else
        {
            if (stride != 2 || outChannels != 2 * inChannels)
                throw new ArgumentException($"option-A shortcut needs stride 2 and doubled width, got stride {stride}, {inChannels} -> {outChannels}");
            _padShortcut = true;
        }
    }

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape)
    {
        int[] input = shape;
        long activation = _normIsActivation ? 0 : 1;
        long total = _conv1.ForwardFlops(ref shape) + _bn1.ForwardFlops(ref shape);
        total += activation * FlopShape.Elements(shape);
        total += _conv2.ForwardFlops(ref shape) + _bn2.ForwardFlops(ref shape);
        if (_projection != null) total += _projection.ForwardFlops(ref input);
        return total + (1 + activation) * FlopShape.Elements(shape); // the residual add and its ReLU
    }

    /// <inheritdoc/>
    public override Variable Forward(Tape tape, Variable x)
    {
        // The shortcut first: backward then reaches conv1 before it, so conv1's backward-data writes x's new
        // gradient in one pass and the shortcut's sparse contribution is added to it (same sum, same bits).
        var shortcut = _projection != null ? _projection.Forward(tape, x) : _padShortcut ? tape.ShortcutA(x, _outChannels) : x;
        if (_bn1 is BatchNorm2d bn1 && _bn2 is BatchNorm2d bn2)
        {
            var z = _conv1.Forward(tape, x, bn1, relu: true);
            z = _conv2.Forward(tape, z, bn2, relu: false);
            return tape.AddRelu(z, shortcut);
        }
        var y = _bn1.Forward(tape, _conv1.Forward(tape, x));
        if (!_normIsActivation) y = tape.Relu(y);
        y = _bn2.Forward(tape, _conv2.Forward(tape, y));
        return _normIsActivation ? tape.Add(y, shortcut) : tape.AddRelu(y, shortcut);
    }
}
