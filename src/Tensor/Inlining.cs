using System.Runtime.CompilerServices;

namespace NanoFed;

/// <summary>The inlining policy, named once (ImageSharp's InliningOptions) instead of scattered attributes.</summary>
internal static class Inlining
{
    /// <summary>Inner loops and micro-kernels: inline and optimize at once (no tier-0 pass).</summary>
    public const MethodImplOptions HotPath = MethodImplOptions.AggressiveInlining | MethodImplOptions.AggressiveOptimization;

    /// <summary>Small helpers called from hot loops.</summary>
    public const MethodImplOptions ShortMethod = MethodImplOptions.AggressiveInlining;

    /// <summary>Error paths: keep them out of the caller's code.</summary>
    public const MethodImplOptions ColdPath = MethodImplOptions.NoInlining;
}
