namespace NanoFed.Nets.Data;

/// <summary>
/// Labelled images held as bytes: image i is <see cref="ImageBytes"/> bytes at i * ImageBytes of
/// <see cref="Pixels"/>, channel-major (C, H, W), values 0-255; its label is <see cref="Labels"/>[i] in
/// [0, <see cref="Classes"/>). Float tensors are made on demand by <see cref="BatchLoader"/>.
/// </summary>
public sealed class ImageDataset
{
    /// <summary>Wraps <paramref name="pixels"/> (N x C*H*W bytes) and <paramref name="labels"/> (N); neither is copied.</summary>
    public ImageDataset(byte[] pixels, int[] labels, int channels, int height, int width, int classes)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(labels);
        if (channels <= 0 || height <= 0 || width <= 0 || classes <= 0)
            throw new ArgumentException($"channels {channels}, height {height}, width {width} and classes {classes} must be positive");
        long imageBytes = (long)channels * height * width;
        if (pixels.LongLength != imageBytes * labels.Length)
            throw new ArgumentException($"{pixels.LongLength} pixel bytes do not hold {labels.Length} images of {channels}x{height}x{width}", nameof(pixels));
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"label {labels[i]} of image {i} is outside [0, {classes})", nameof(labels));
        Pixels = pixels;
        Labels = labels;
        Channels = channels;
        Height = height;
        Width = width;
        Classes = classes;
    }

    /// <summary>All images, N x (C, H, W) bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>The label of each image.</summary>
    public int[] Labels { get; }

    /// <summary>Number of images (N).</summary>
    public int Count => Labels.Length;

    /// <summary>Channels per image (C).</summary>
    public int Channels { get; }

    /// <summary>Image height (H).</summary>
    public int Height { get; }

    /// <summary>Image width (W).</summary>
    public int Width { get; }

    /// <summary>Number of classes; labels lie in [0, Classes).</summary>
    public int Classes { get; }

    /// <summary>Bytes per image: C * H * W.</summary>
    public int ImageBytes => Channels * Height * Width;

    /// <summary>The bytes of image <paramref name="index"/>, (C, H, W).</summary>
    public ReadOnlySpan<byte> Image(int index) => Pixels.AsSpan(checked(index * ImageBytes), ImageBytes);

    /// <summary>How many images carry each label.</summary>
    public int[] LabelCounts()
    {
        var counts = new int[Classes];
        foreach (int label in Labels) counts[label]++;
        return counts;
    }

    /// <summary>A new dataset holding copies of the images at <paramref name="indices"/>, in that order.</summary>
    public ImageDataset Subset(ReadOnlySpan<int> indices)
    {
        int size = ImageBytes;
        var pixels = new byte[(long)indices.Length * size];
        var labels = new int[indices.Length];
        for (int i = 0; i < indices.Length; i++)
        {
            Image(indices[i]).CopyTo(pixels.AsSpan(i * size, size));
            labels[i] = Labels[indices[i]];
        }
        return new ImageDataset(pixels, labels, Channels, Height, Width, Classes);
    }
}
