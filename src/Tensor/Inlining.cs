using System.Runtime.CompilerServices;

namespace NanoFed;

/// <summary>The inlining policy, named once (ImageSharp's InliningOptions) instead of scattered attributes.</summary>
internal static class Inlining
{
    /// <summary>Inner loops and micro-kernels: inline and optimize at once (no tier-0 pass).</summary>
    public const MethodImplOptions HotPath = MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization;

    /// <summary>
    /// Register-blocked micro-kernels: optimized at once and compiled on their own, never into a caller, and they call
    /// nothing. NativeAOT has no profile to tell its register allocator that the k loop is hot: with any call in the
    /// method, even a cold one after the loop, it kept the accumulators on the stack, storing and reloading each of
    /// them every iteration (a third of the JIT's speed, which the JIT's synthesized profile avoids).
    /// </summary>
    public const MethodImplOptions MicroKernel = MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization;

    /// <summary>Small helpers called from hot loops.</summary>
    public const MethodImplOptions ShortMethod = MethodImplOptions.AggressiveInlining;

    /// <summary>Error paths: keep them out of the caller's code.</summary>
    public const MethodImplOptions ColdPath = MethodImplOptions.NoInlining;
}
