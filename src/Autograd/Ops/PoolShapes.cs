using NanoFed.Kernels;

namespace NanoFed.Autograd;

/// <summary>Shape checks shared by the pooling ops.</summary>
internal static class PoolShapes
{
    /// <summary>The validated geometry of a square pooling window over x (N, C, H, W).</summary>
    public static Pool2dGeometry Geometry(string op, Shape x, int kernel, int stride, int padding)
    {
        if (x.Rank != 4)
            throw new ArgumentException($"{op}: x must be (N, C, H, W), got {x}");
        return Pool2dGeometry.Create(x[0], x[1], x[2], x[3], kernel, stride, padding);
    }
}
