namespace NanoFed.Federation.Partitioning;

/// <summary>
/// Splits a labelled data set across clients. A pure function of (labels, rng): the same labels and the same
/// stream (seed, stream id, position) give the same partition. Every sample goes to exactly one client.
/// </summary>
public interface IPartitioner
{
    /// <summary>Splits the samples whose labels (in 0..<paramref name="classes"/>−1) are <paramref name="labels"/>.</summary>
    Partition Split(ReadOnlySpan<int> labels, int classes, RngStream rng);
}

/// <summary>Helpers shared by the partitioners.</summary>
internal static class PartitionChecks
{
    /// <summary>Throws a one-line error if a label is outside 0..classes−1.</summary>
    public static void Labels(ReadOnlySpan<int> labels, int classes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        for (int i = 0; i < labels.Length; i++)
            if ((uint)labels[i] >= (uint)classes)
                throw new ArgumentException($"label {labels[i]} at index {i} is outside 0..{classes - 1}", nameof(labels));
    }

    /// <summary>Sample indices stably sorted by label (ties keep index order).</summary>
    public static int[] SortedByLabel(ReadOnlySpan<int> labels, int classes)
    {
        var start = new int[classes + 1];
        foreach (int l in labels) start[l + 1]++;
        for (int c = 0; c < classes; c++) start[c + 1] += start[c];
        var order = new int[labels.Length];
        for (int i = 0; i < labels.Length; i++) order[start[labels[i]]++] = i;
        return order;
    }

    /// <summary>Cuts <paramref name="items"/> into <paramref name="parts"/> contiguous slices [floor(i·n/parts), floor((i+1)·n/parts)).</summary>
    public static int[][] Cut(ReadOnlySpan<int> items, int parts)
    {
        var result = new int[parts][];
        long n = items.Length;
        for (int i = 0; i < parts; i++)
        {
            int lo = (int)(i * n / parts), hi = (int)((i + 1) * n / parts);
            result[i] = items[lo..hi].ToArray();
        }
        return result;
    }
}
