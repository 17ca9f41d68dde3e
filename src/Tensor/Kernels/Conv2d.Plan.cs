namespace NanoFed.Kernels;

/// <summary>The algorithms a convolution's three passes run on a geometry, as <see cref="Conv2d.Plan"/> names them.</summary>
/// <param name="Forward">Forward's algorithm.</param>
/// <param name="BackwardData">Backward-data's algorithm ("flipped " + a forward algorithm when it runs as a forward convolution).</param>
/// <param name="BackwardWeight">Backward-weight's algorithm.</param>
public sealed record ConvPlan(string Forward, string BackwardData, string BackwardWeight);

public static partial class Conv2d
{
    /// <summary>
    /// Which algorithm each pass runs on geometry <paramref name="g"/> on this machine (its ISA decides some), read off
    /// the same predicates the passes dispatch on: "winograd-small", "winograd-lanes", "direct", "winograd", "gemm" (a pointwise
    /// convolution straight into GEMM) or "im2col+gemm" forward; backward-data adds "direct-stride2",
    /// "flipped ALGORITHM" (a forward convolution with flipped filters) and "gemm+col2im"; backward-weight
    /// "weight-lanes", "winograd", "pixel-major gemm", "direct" or "im2col+gemm".
    /// </summary>
    public static ConvPlan Plan(in Conv2dGeometry g)
    {
        string backwardData = UseDirectStride2(g) ? "direct-stride2"
            : UseFlippedForward(g) ? "flipped " + ForwardAlgorithm(Flipped(g))
            : "gemm+col2im";
        string backwardWeight = UseWeightLanes(g) ? "weight-lanes"
            : UseWinogradWeight(g) ? "winograd"
            : UsePixelMajorWeight(g) ? "pixel-major gemm"
            : UseDirectWeight3x3(g) ? "direct"
            : "im2col+gemm";
        return new ConvPlan(ForwardAlgorithm(g), backwardData, backwardWeight);
    }

    /// <summary>Forward's algorithm, in <see cref="ForwardCore"/>'s order of choice.</summary>
    private static string ForwardAlgorithm(in Conv2dGeometry g) =>
        UseWinogradSmall(g) ? "winograd-small"
        : UseWinogradLanes(g) ? "winograd-lanes"
        : UseDirect3x3(g) || UseDirectStride2(g) ? "direct"
        : UseWinograd(g) ? "winograd"
        : g.IsPointwise && ImagesPerGroup(g) == 1 ? "gemm"
        : "im2col+gemm";
}
