using NanoFed.Kernels;

namespace NanoFed.Autograd;

/// <summary>ResNet-CIFAR option-A shortcut: subsample by 2 and zero-pad channels (see <see cref="ShortcutPad"/>).</summary>
public static class ShortcutAOp
{
    /// <summary>
    /// (N, C, H, W) → (N, K, ceil(H/2), ceil(W/2)) with K = <paramref name="outChannels"/>: x[:, :, ::2, ::2] with
    /// (K − C)/2 zero channels on each side, as PyTorch's <c>F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, (K − C)//2, (K − C)//2))</c>.
    /// K − C must be even and non-negative.
    /// </summary>
    public static Variable ShortcutA(this Tape tape, Variable x, int outChannels)
    {
        var s = x.Shape;
        if (s.Rank != 4) throw new ArgumentException($"ShortcutA needs an (N, C, H, W) input, got {s}", nameof(x));
        int n = s[0], c = s[1], h = s[2], w = s[3];
        if (outChannels < c || (outChannels - c) % 2 != 0)
            throw new ArgumentException($"ShortcutA: {outChannels} output channels cannot pad {c} input channels symmetrically", nameof(outChannels));
        var y = tape.Intermediate(new Shape(n, outChannels, (h + 1) / 2, (w + 1) / 2));
        ShortcutPad.Forward(x.Data.Span, y.Data.Span, n, c, h, w, outChannels);
        if (tape.Records(x)) tape.Record(new TapeEntry { Backward = ShortcutABackward, Output = y, A = x });
        return y;
    }

    private static readonly BackwardFn ShortcutABackward = static (ref readonly TapeEntry e) =>
    {
        var dX = e.A!.GradForAccumulation();
        if (dX == null) return;
        var s = e.A.Shape;
        ShortcutPad.BackwardData(e.Output.Grad!.Span, dX.Span, s[0], s[1], s[2], s[3], e.Output.Shape[1]);
    };
}
