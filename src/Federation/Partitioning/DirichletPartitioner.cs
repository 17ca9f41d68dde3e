using MathNet.Numerics.Distributions;
using MathNet.Numerics.Random;

namespace NanoFed.Federation.Partitioning;

/// <summary>
/// Dirichlet(alpha) label split (Hsu et al. 2019): for every class c in order, the class's samples (in index order)
/// are shuffled with the stream, proportions p ~ Dir(alpha, ..., alpha) over the clients are drawn, and client i
/// takes the slice [floor(|c|·P_i), floor(|c|·P_{i+1})) where P_i = p_0 + ... + p_{i−1} (P_n taken as exactly 1).
/// Small alpha gives few classes per client, large alpha approaches IID. If <see cref="MinPerClient"/> &gt; 0 the
/// whole draw is repeated (at most 1000 times, then it throws) until every client has that many samples.
/// <para>Balanced (<see cref="Balanced"/>, the decentralized-learning variant of Lin et al. 2021's code, which the
/// Sparse-Push authors' later code uses): while drawing, a client that already holds N/n samples gets no more (its
/// proportion is zeroed and the rest renormalized); the clients' lists are then concatenated in client order and cut
/// into n equal parts of ⌊N/n⌋ (the last keeps the remainder), so every agent has the same number of batches an epoch
/// and the skew is in the labels alone. One draw; <see cref="MinPerClient"/> does not apply (the parts are equal).</para>
/// <para>Reproducibility: MathNet's <see cref="Dirichlet.Sample(System.Random, double[])"/> needs a
/// <see cref="System.Random"/>; we give it a <see cref="MersenneTwister"/> seeded with the next 32-bit word of the
/// <see cref="RngStream"/> (one word per draw attempt), so the result is a pure function of the stream.</para>
/// </summary>
public sealed class DirichletPartitioner : IPartitioner
{
    private const int MaxAttempts = 1000;

    /// <summary>
    /// A Dirichlet split over <paramref name="clients"/> clients with concentration <paramref name="alpha"/>, equal
    /// sizes when <paramref name="balanced"/>.
    /// </summary>
    public DirichletPartitioner(int clients, double alpha, int minPerClient = 0, bool balanced = false)
    {
        Balanced = balanced;
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clients);
        if (!(alpha > 0) || double.IsInfinity(alpha)) throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be positive and finite");
        ArgumentOutOfRangeException.ThrowIfNegative(minPerClient);
        Clients = clients;
        Alpha = alpha;
        MinPerClient = minPerClient;
    }

    /// <summary>Number of clients.</summary>
    public int Clients { get; }

    /// <summary>The concentration alpha.</summary>
    public double Alpha { get; }

    /// <summary>The smallest client size accepted (0: any).</summary>
    public int MinPerClient { get; }

    /// <summary>Whether every client gets the same number of samples (see the class remarks).</summary>
    public bool Balanced { get; }

    /// <inheritdoc/>
    public Partition Split(ReadOnlySpan<int> labels, int classes, RngStream rng)
    {
        ArgumentNullException.ThrowIfNull(rng);
        PartitionChecks.Labels(labels, classes);
        if ((long)MinPerClient * Clients > labels.Length)
            throw new ArgumentException($"{Clients} clients of at least {MinPerClient} need more than {labels.Length} samples");
        var sorted = PartitionChecks.SortedByLabel(labels, classes);
        var count = new int[classes];
        foreach (int l in labels) count[l]++;
        var inv = System.Globalization.CultureInfo.InvariantCulture;
        string method = string.Create(inv, $"dirichlet{(Balanced ? "-balanced" : "")}({Alpha})");
        if (Balanced) return new Partition(method, EqualParts(Draw(sorted, count, rng, labels.Length / Clients)), labels, classes);
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var indices = Draw(sorted, count, rng, int.MaxValue);
            if (indices.All(x => x.Length >= MinPerClient)) return new Partition(method, indices, labels, classes);
        }
        throw new InvalidOperationException($"no Dirichlet({Alpha}) draw in {MaxAttempts} gave every client at least {MinPerClient} samples");
    }

    /// <summary>The lists concatenated in order and cut into equal parts, the last keeping the remainder.</summary>
    private static int[][] EqualParts(int[][] lists)
    {
        var all = lists.SelectMany(l => l).ToArray();
        int n = lists.Length, size = all.Length / n;
        return Enumerable.Range(0, n).Select(i => all[(i * size)..(i == n - 1 ? all.Length : (i + 1) * size)]).ToArray();
    }

    /// <summary>One draw; a client holding <paramref name="capacity"/> samples or more takes no more.</summary>
    private int[][] Draw(int[] sorted, int[] count, RngStream rng, int capacity)
    {
        var random = new MersenneTwister(unchecked((int)rng.NextUInt32()), threadSafe: false);
        var lists = new List<int>[Clients];
        for (int i = 0; i < Clients; i++) lists[i] = [];
        var alpha = Enumerable.Repeat(Alpha, Clients).ToArray();
        int at = 0;
        for (int c = 0; c < count.Length; c++)
        {
            var members = sorted.AsSpan(at, count[c]).ToArray();
            at += count[c];
            rng.Shuffle(members.AsSpan());
            var p = Dirichlet.Sample(random, alpha);
            if (!p.All(double.IsFinite)) OneHot(p, rng.NextInt(Clients));
            if (capacity < int.MaxValue) Cap(p, lists, capacity);
            double cumulative = 0;
            int lo = 0;
            for (int i = 0; i < Clients; i++)
            {
                cumulative += p[i];
                int hi = i == Clients - 1 ? members.Length : Math.Min(members.Length, (int)Math.Floor(members.Length * cumulative));
                hi = Math.Max(hi, lo);
                lists[i].AddRange(members.AsSpan(lo, hi - lo));
                lo = hi;
            }
        }
        return lists.Select(l => l.ToArray()).ToArray();
    }

    /// <summary>Zeroes the proportions of the clients at <paramref name="capacity"/> and renormalizes (all full: unchanged).</summary>
    private static void Cap(double[] p, List<int>[] lists, int capacity)
    {
        double kept = 0;
        for (int i = 0; i < p.Length; i++) kept += lists[i].Count < capacity ? p[i] : 0;
        if (!(kept > 0)) return;
        for (int i = 0; i < p.Length; i++) p[i] = lists[i].Count < capacity ? p[i] / kept : 0;
    }

    /// <summary>
    /// For tiny alpha every Gamma draw can underflow to 0 and the normalized proportions become NaN; the class then
    /// goes whole to one uniformly chosen client, the alpha → 0 limit of the Dirichlet.
    /// </summary>
    private static void OneHot(double[] p, int client)
    {
        Array.Clear(p);
        p[client] = 1;
    }
}
