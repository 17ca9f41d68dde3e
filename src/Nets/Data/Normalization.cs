namespace NanoFed.Nets.Data;

/// <summary>
/// Per-channel normalization of byte pixels: x = (v / 255 - Mean[c]) / Std[c], as torchvision's ToTensor
/// followed by Normalize(mean, std).
/// </summary>
public sealed class Normalization
{
    /// <summary>Creates a normalization from one mean and one standard deviation per channel.</summary>
    public Normalization(float[] mean, float[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length == 0 || mean.Length != std.Length)
            throw new ArgumentException($"mean ({mean.Length} channels) and std ({std.Length} channels) must have the same non-zero length");
        foreach (float s in std)
            if (!(s > 0) || !float.IsFinite(s)) throw new ArgumentException($"standard deviation {s} must be positive and finite", nameof(std));
        Mean = (float[])mean.Clone();
        Std = (float[])std.Clone();
    }

    /// <summary>Per-channel mean, on the [0, 1] scale.</summary>
    public float[] Mean { get; }

    /// <summary>Per-channel standard deviation, on the [0, 1] scale.</summary>
    public float[] Std { get; }

    /// <summary>Number of channels.</summary>
    public int Channels => Mean.Length;

    /// <summary>No normalization beyond scaling to [0, 1], for <paramref name="channels"/> channels.</summary>
    public static Normalization Identity(int channels) => new(new float[channels], Enumerable.Repeat(1f, channels).ToArray());

    /// <summary>Fashion-MNIST's training mean and standard deviation (one channel).</summary>
    public static Normalization FashionMnist { get; } = new([0.2860f], [0.3530f]);

    /// <summary>The normalized value of byte <paramref name="value"/> in channel <paramref name="channel"/>.</summary>
    public float Apply(int channel, byte value) => (value / 255f - Mean[channel]) / Std[channel];

    /// <summary>A table of <see cref="Apply"/> for every channel and byte: entry c * 256 + v.</summary>
    internal float[] Table()
    {
        var table = new float[Channels * 256];
        for (int c = 0; c < Channels; c++)
            for (int v = 0; v < 256; v++)
                table[c * 256 + v] = Apply(c, (byte)v);
        return table;
    }
}
