using System.Runtime.Intrinsics;

namespace NanoFed;

/// <summary>Which SIMD width the kernels use on this machine and runtime (the widest accelerated one).</summary>
public static class Isa
{
    /// <summary>"Vector512", "Vector256", "Vector128" or "Scalar".</summary>
    public static string Active =>
        Vector512.IsHardwareAccelerated ? "Vector512" :
        Vector256.IsHardwareAccelerated ? "Vector256" :
        Vector128.IsHardwareAccelerated ? "Vector128" : "Scalar";
}
