namespace NanoFed.Federation.Partitioning;

/// <summary>
/// A split of a labelled data set across clients: <see cref="Indices"/>[i] lists the sample indices client i holds
/// (in the order the partitioner dealt them) and <see cref="Histograms"/>[i][c] counts client i's samples of class c.
/// </summary>
public sealed class Partition
{
    /// <summary>Builds a partition from per-client index lists, counting labels from <paramref name="labels"/>.</summary>
    public Partition(string method, int[][] indices, ReadOnlySpan<int> labels, int classes)
    {
        ArgumentNullException.ThrowIfNull(indices);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(classes);
        Method = method;
        Indices = indices;
        Classes = classes;
        Histograms = new int[indices.Length][];
        for (int i = 0; i < indices.Length; i++)
        {
            var h = new int[classes];
            foreach (int s in indices[i]) h[labels[s]]++;
            Histograms[i] = h;
        }
    }

    /// <summary>The partitioner and its settings, e.g. "shards(500 x 100, 5 per client)".</summary>
    public string Method { get; }

    /// <summary>Number of clients.</summary>
    public int Clients => Indices.Length;

    /// <summary>Number of classes.</summary>
    public int Classes { get; }

    /// <summary>Per-client sample indices.</summary>
    public int[][] Indices { get; }

    /// <summary>Per-client label histograms [client][class].</summary>
    public int[][] Histograms { get; }

    /// <summary>Number of classes client <paramref name="client"/> holds at least one sample of.</summary>
    public int ClassesHeld(int client) => Histograms[client].Count(n => n > 0);

    /// <summary>
    /// One line: method, clients, total samples, min/mean/max client size and min/mean/max classes per client,
    /// e.g. "shards(500 x 100, 5 per client): 100 clients, 50000 samples, size 500/500.0/500, classes 2/4.1/5".
    /// </summary>
    public string Summary()
    {
        var sizes = Indices.Select(x => x.Length).ToArray();
        var held = Enumerable.Range(0, Clients).Select(ClassesHeld).ToArray();
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        return string.Create(inv,
            $"{Method}: {Clients} clients, {sizes.Sum()} samples, size {sizes.Min()}/{sizes.Average():F1}/{sizes.Max()}, " +
            $"classes {held.Min()}/{held.Average():F1}/{held.Max()}");
    }
}
