namespace NanoFed.Kernels;

/// <summary>
/// The shape of one 2-D pooling: input x (N, C, H, W), a KernelH × KernelW window moved by (StrideH, StrideW)
/// over the input padded by (PadH, PadW), output y (N, C, P, Q) with P = (H + 2·PadH − KernelH) / StrideH + 1 and
/// Q = (W + 2·PadW − KernelW) / StrideW + 1 (floor, PyTorch's ceil_mode=False). As in PyTorch, padding is at most
/// half the window, so every window overlaps the input.
/// </summary>
/// <param name="N">Batch size.</param>
/// <param name="C">Channels.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="KernelH">Window height.</param>
/// <param name="KernelW">Window width.</param>
/// <param name="StrideH">Vertical stride.</param>
/// <param name="StrideW">Horizontal stride.</param>
/// <param name="PadH">Padding above and below.</param>
/// <param name="PadW">Padding left and right.</param>
public readonly record struct Pool2dGeometry(int N, int C, int H, int W, int KernelH, int KernelW,
    int StrideH, int StrideW, int PadH, int PadW)
{
    /// <summary>Output height.</summary>
    public int P => (H + 2 * PadH - KernelH) / StrideH + 1;

    /// <summary>Output width.</summary>
    public int Q => (W + 2 * PadW - KernelW) / StrideW + 1;

    /// <summary>Elements of x: N·C·H·W.</summary>
    public int XLength => N * C * H * W;

    /// <summary>Elements of y: N·C·P·Q.</summary>
    public int YLength => N * C * P * Q;

    /// <summary>A validated geometry with a square window and the same stride and padding in both directions.</summary>
    public static Pool2dGeometry Create(int n, int c, int h, int w, int kernel, int stride, int padding)
    {
        var g = new Pool2dGeometry(n, c, h, w, kernel, kernel, stride, stride, padding, padding);
        g.Validate();
        return g;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the shapes unless every size is valid and the output is non-empty.</summary>
    public void Validate()
    {
        if (N < 1 || C < 1 || H < 1 || W < 1 || KernelH < 1 || KernelW < 1 || StrideH < 1 || StrideW < 1)
            throw new ArgumentException($"pool2d: sizes, window and stride must be positive, got {Describe()}");
        if (PadH < 0 || PadW < 0 || 2 * PadH > KernelH || 2 * PadW > KernelW)
            throw new ArgumentException($"pool2d: padding must be between 0 and half the window, got {Describe()}");
        if (H + 2 * PadH < KernelH || W + 2 * PadW < KernelW)
            throw new ArgumentException($"pool2d: the window does not fit the padded input, got {Describe()}");
    }

    /// <summary>Checks buffer lengths against this geometry.</summary>
    internal void CheckLengths(string op, int x, int y)
    {
        Validate();
        if (x != XLength)
            throw new ArgumentException($"{op}: x has {x} elements, expected {XLength} for (N, C, H, W) = ({N}, {C}, {H}, {W})");
        if (y != YLength)
            throw new ArgumentException($"{op}: y has {y} elements, expected {YLength} for (N, C, P, Q) = ({N}, {C}, {P}, {Q})");
    }

    /// <summary>Planes per parallel item of the pooling kernels: enough work (about 16K input elements) to pay for handing it out.</summary>
    internal int PlanesPerItem => Math.Max(1, (1 << 14) / (H * W));

    /// <summary>Rows [lo, hi) of the input covered by output row p (clipped to the input).</summary>
    internal void RowRange(int p, out int lo, out int hi)
    {
        int start = p * StrideH - PadH;
        lo = Math.Max(start, 0);
        hi = Math.Min(start + KernelH, H);
    }

    /// <summary>Columns [lo, hi) of the input covered by output column q (clipped to the input).</summary>
    internal void ColumnRange(int q, out int lo, out int hi)
    {
        int start = q * StrideW - PadW;
        lo = Math.Max(start, 0);
        hi = Math.Min(start + KernelW, W);
    }

    private string Describe() =>
        $"x (N, C, H, W) = ({N}, {C}, {H}, {W}), window {KernelH}x{KernelW}, stride ({StrideH}, {StrideW}), padding ({PadH}, {PadW})";
}
