using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.SystemModel;

/// <summary>
/// Counts the FLOPs of a model's forward pass for one image, walking its layers and propagating the shape.
/// Conventions: a multiply-add is 2 FLOPs; conv 2·K·C·R·S·P·Q (bias not counted), linear 2·in·out; BatchNorm
/// 2 per output element (scale and shift, the statistics folded in), GroupNorm 4 and EvoNorm-S0 9 per element (their
/// statistics are per image, computed at inference too), ReLU and residual add 1 per element,
/// max/avg pooling R·S per output element, global average pooling 1 per input element; flatten and dropout 0.
/// Training costs forward + backward ≈ 3× forward (<see cref="TrainingFactor"/>): the backward pass computes
/// gradients of both inputs and weights, each about one forward.
/// </summary>
public static class FlopCounter
{
    /// <summary>Training FLOPs per image = forward FLOPs × this factor (forward 1 + backward ≈ 2).</summary>
    public const double TrainingFactor = 3.0;

    /// <summary>Forward FLOPs of <paramref name="model"/> for one image of <paramref name="input"/> = (C, H, W) or (features).</summary>
    public static long Forward(Module model, ReadOnlySpan<int> input) => Walk(model, input, out _);

    /// <summary>
    /// The shape of <paramref name="model"/>'s output for one image of <paramref name="input"/>, without the batch
    /// axis: a split model's cut shape (128×8×8 for VGG11-EcoFed's device part on 3×32×32).
    /// </summary>
    public static int[] OutputShape(Module model, ReadOnlySpan<int> input)
    {
        Walk(model, input, out var shape);
        return shape;
    }

    /// <summary>Training FLOPs (forward + backward) for <paramref name="images"/> images.</summary>
    public static double Training(Module model, ReadOnlySpan<int> input, long images) => TrainingFactor * Forward(model, input) * images;

    private static long Walk(Module model, ReadOnlySpan<int> input, out int[] shape)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (input.Length is not (1 or 3)) throw new ArgumentException($"input shape must be (C, H, W) or (features), got rank {input.Length}", nameof(input));
        shape = input.ToArray();
        return Count(model, ref shape);
    }

    private static long Count(Module m, ref int[] s)
    {
        switch (m)
        {
            case Sequential seq:
            {
                long total = 0;
                for (int i = 0; i < seq.Count; i++) total += Count(seq[i], ref s);
                return total;
            }
            case Conv2d conv:
            {
                var w = conv.Weight.Data.Shape;
                int k = w[0], c = w[1], r = w[2], sk = w[3];
                Need(s, 3, c, "Conv2d");
                int p = (s[1] + 2 * conv.Padding - r) / conv.Stride + 1, q = (s[2] + 2 * conv.Padding - sk) / conv.Stride + 1;
                s = [k, p, q];
                return 2L * k * c * r * sk * p * q;
            }
            case Linear lin:
            {
                var w = lin.Weight.Data.Shape;
                int outF = w[0], inF = w[1];
                if (Elements(s) != inF) throw new ArgumentException($"Linear expects {inF} features, got shape ({string.Join(", ", s)})");
                s = [outF];
                return 2L * inF * outF;
            }
            case BatchNorm2d:
                return 2L * Elements(s);
            case GroupNorm:
                return 4L * Elements(s); // the statistics' two sums and the affine map
            case EvoNormS0:
                return 9L * Elements(s); // the two sums, v·x, the sigmoid (exp, add, divide), x·s and the affine map
            case ReLU:
                return Elements(s);
            case MaxPool2d mp:
                return Pool(ref s, mp.Kernel, mp.Stride, mp.Padding);
            case AvgPool2d ap:
                return Pool(ref s, ap.Kernel, ap.Stride, ap.Padding);
            case GlobalAvgPool2d:
            {
                long n = Elements(s);
                s = [s[0]];
                return n;
            }
            case Flatten:
                s = [(int)Elements(s)];
                return 0;
            case Dropout:
                return 0;
            case BasicBlock block:
                return Block(block, ref s);
            default:
                throw new ArgumentException($"FlopCounter does not know the module {m.GetType().Name}");
        }
    }

    private static long Block(BasicBlock block, ref int[] s)
    {
        var children = block.Children.ToDictionary(c => c.Name, c => c.Value);
        int[] input = s;
        // EvoNorm-S0 is its own activation: such a block has no ReLU.
        long relu = children["bn1"] is EvoNormS0 ? 0 : 1;
        long total = Count(children["conv1"], ref s) + Count(children["bn1"], ref s);
        total += relu * Elements(s);
        total += Count(children["conv2"], ref s) + Count(children["bn2"], ref s);
        if (children.TryGetValue("shortcut", out var shortcut))
        {
            int[] t = input;
            total += Count(shortcut, ref t);
        }
        total += (1 + relu) * Elements(s); // residual add (and ReLU)
        return total;
    }

    private static long Pool(ref int[] s, int kernel, int stride, int padding)
    {
        if (s.Length != 3) throw new ArgumentException("pooling needs a (C, H, W) input");
        int p = (s[1] + 2 * padding - kernel) / stride + 1, q = (s[2] + 2 * padding - kernel) / stride + 1;
        s = [s[0], p, q];
        return (long)kernel * kernel * Elements(s);
    }

    private static void Need(int[] s, int rank, int channels, string what)
    {
        if (s.Length != rank || s[0] != channels)
            throw new ArgumentException($"{what} expects ({channels}, H, W), got ({string.Join(", ", s)})");
    }

    private static long Elements(int[] s)
    {
        long n = 1;
        foreach (int d in s) n *= d;
        return n;
    }
}
