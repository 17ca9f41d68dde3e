namespace NanoFed.Kernels;

/// <summary>
/// The shape of one 2-D convolution: input x (N, C, H, W), filters w (K, C, R, S), bias (K), output
/// y (N, K, P, Q) with P = (H + 2·PadH − R) / StrideH + 1 and Q = (W + 2·PadW − S) / StrideW + 1 (floor).
/// Zero padding, no dilation, no groups. Construct through <see cref="Create"/> (or call <see cref="Validate"/>)
/// to get an <see cref="ArgumentException"/> naming the shapes when the sizes make no sense.
/// </summary>
/// <param name="N">Batch size.</param>
/// <param name="C">Input channels.</param>
/// <param name="H">Input height.</param>
/// <param name="W">Input width.</param>
/// <param name="K">Output channels (filters).</param>
/// <param name="R">Filter height.</param>
/// <param name="S">Filter width.</param>
/// <param name="StrideH">Vertical stride.</param>
/// <param name="StrideW">Horizontal stride.</param>
/// <param name="PadH">Zero rows added above and below.</param>
/// <param name="PadW">Zero columns added left and right.</param>
public readonly record struct Conv2dGeometry(int N, int C, int H, int W, int K, int R, int S,
    int StrideH, int StrideW, int PadH, int PadW)
{
    /// <summary>Output height.</summary>
    public int P => (H + 2 * PadH - R) / StrideH + 1;

    /// <summary>Output width.</summary>
    public int Q => (W + 2 * PadW - S) / StrideW + 1;

    /// <summary>Elements of x: N·C·H·W.</summary>
    public int XLength => N * C * H * W;

    /// <summary>Elements of w: K·C·R·S.</summary>
    public int WLength => K * C * R * S;

    /// <summary>Elements of y: N·K·P·Q.</summary>
    public int YLength => N * K * P * Q;

    /// <summary>Rows of the im2col matrix (the GEMM reduction length): C·R·S.</summary>
    public int Crs => C * R * S;

    /// <summary>True for a 1×1, stride-1, unpadded convolution: a plain GEMM on each image, no im2col.</summary>
    public bool IsPointwise => R == 1 && S == 1 && StrideH == 1 && StrideW == 1 && PadH == 0 && PadW == 0;

    /// <summary>A validated geometry with the same stride and padding in both directions.</summary>
    public static Conv2dGeometry Create(int n, int c, int h, int w, int k, int r, int s, int stride, int padding)
    {
        var g = new Conv2dGeometry(n, c, h, w, k, r, s, stride, stride, padding, padding);
        g.Validate();
        return g;
    }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the shapes unless every size is valid and the output is non-empty.</summary>
    public void Validate()
    {
        if (N < 1 || C < 1 || H < 1 || W < 1 || K < 1 || R < 1 || S < 1)
            throw new ArgumentException($"conv2d: sizes must be positive, got {Describe()}");
        if (StrideH < 1 || StrideW < 1)
            throw new ArgumentException($"conv2d: strides must be positive, got stride ({StrideH}, {StrideW}) for {Describe()}");
        if (PadH < 0 || PadW < 0)
            throw new ArgumentException($"conv2d: padding must be non-negative, got padding ({PadH}, {PadW}) for {Describe()}");
        if (H + 2 * PadH < R || W + 2 * PadW < S)
            throw new ArgumentException($"conv2d: the {R}x{S} filter does not fit the padded {H + 2 * PadH}x{W + 2 * PadW} input ({Describe()})");
        if ((long)N * C * H * W > int.MaxValue || (long)N * K * P * Q > int.MaxValue || (long)Crs * P * Q > int.MaxValue)
            throw new ArgumentException($"conv2d: tensors too large for 32-bit indexing ({Describe()})");
    }

    /// <summary>Checks the buffer lengths of a convolution against this geometry; a span named null is not checked.</summary>
    internal void CheckLengths(string op, int x, int w, int bias, int y)
    {
        Validate();
        if (x >= 0 && x != XLength)
            throw new ArgumentException($"conv2d {op}: x has {x} elements, expected {XLength} for (N, C, H, W) = ({N}, {C}, {H}, {W})");
        if (w >= 0 && w != WLength)
            throw new ArgumentException($"conv2d {op}: w has {w} elements, expected {WLength} for (K, C, R, S) = ({K}, {C}, {R}, {S})");
        if (bias > 0 && bias != K)
            throw new ArgumentException($"conv2d {op}: bias has {bias} elements, expected 0 (none) or K = {K}");
        if (y >= 0 && y != YLength)
            throw new ArgumentException($"conv2d {op}: y has {y} elements, expected {YLength} for (N, K, P, Q) = ({N}, {K}, {P}, {Q})");
    }

    private string Describe() =>
        $"x (N, C, H, W) = ({N}, {C}, {H}, {W}), w (K, C, R, S) = ({K}, {C}, {R}, {S}), stride ({StrideH}, {StrideW}), padding ({PadH}, {PadW})";
}
