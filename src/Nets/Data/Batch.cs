namespace NanoFed.Nets.Data;

/// <summary>
/// One mini-batch of a <see cref="BatchLoader"/>: images (n, C, H, W) as floats and their labels. The loader
/// reuses its storage: a batch is valid until the enumeration asks for the next one (while this batch is in use
/// the loader fills the other of its two buffers), so copy what must outlive the step.
/// </summary>
public sealed class Batch
{
    internal Batch(Tensor images, int[] labels)
    {
        Images = images;
        Labels = labels;
    }

    /// <summary>The images, (n, C, H, W), normalized and augmented.</summary>
    public Tensor Images { get; }

    /// <summary>The labels, n of them.</summary>
    public int[] Labels { get; }

    /// <summary>Number of images (n).</summary>
    public int Count => Labels.Length;

    /// <summary>Index of this batch within its epoch.</summary>
    public int Index { get; internal set; }

    /// <summary>The epoch it belongs to.</summary>
    public int Epoch { get; internal set; }
}
