using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Compression;

/// <summary>
/// A lossy (or identity) compressor of one tensor (specs/sparse-push.md): it produces the <see cref="WireTensor"/>
/// that travels, so its size is what <see cref="WireFormat"/> serializes, never a formula.
/// </summary>
public interface ICompressor
{
    /// <summary>
    /// Compresses <paramref name="v"/> into a wire tensor named <paramref name="name"/> of shape [v.Length];
    /// <paramref name="rng"/> is used only by randomized compressors (then it must not be null).
    /// </summary>
    WireTensor Compress(string name, ReadOnlySpan<float> v, RngStream? rng);
}

/// <summary>The identity: the dense float32 values.</summary>
public sealed class NoCompression : ICompressor
{
    /// <summary>The shared instance.</summary>
    public static NoCompression Instance { get; } = new();

    /// <inheritdoc/>
    public WireTensor Compress(string name, ReadOnlySpan<float> v, RngStream? rng) => WireTensor.Dense(name, new Shape(v.Length), v);
}
