using MathNet.Numerics.Distributions;
using MathNet.Numerics.Random;

namespace NanoFed.Federation.Partitioning;

/// <summary>
/// Dirichlet(alpha) label split (Hsu et al. 2019): for every class c in order, the class's samples (in index order)
/// are shuffled with the stream, proportions p ~ Dir(alpha, ..., alpha) over the clients are drawn, and client i
/// takes the slice [floor(|c|·P_i), floor(|c|·P_{i+1})) where P_i = p_0 + ... + p_{i−1} (P_n taken as exactly 1).
/// Small alpha gives few classes per client, large alpha approaches IID. If <see cref="MinPerClient"/> &gt; 0 the
/// whole draw is repeated (at most 1000 times, then it throws) until every client has that many samples.
/// <para>Reproducibility: MathNet's <see cref="Dirichlet.Sample(System.Random, double[])"/> needs a
/// <see cref="System.Random"/>; we give it a <see cref="MersenneTwister"/> seeded with the next 32-bit word of the
/// <see cref="RngStream"/> (one word per draw attempt), so the result is a pure function of the stream.</para>
/// </summary>
public sealed class DirichletPartitioner : IPartitioner
{
    private const int MaxAttempts = 1000;

    /// <summary>A Dirichlet split over <paramref name="clients"/> clients with concentration <paramref name="alpha"/>.</summary>
    public DirichletPartitioner(int clients, double alpha, int minPerClient = 0)
    {
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
        string method = string.Create(inv, $"dirichlet({Alpha})");
        for (int attempt = 0; attempt < MaxAttempts; attempt++)
        {
            var indices = Draw(sorted, count, rng);
            if (indices.All(x => x.Length >= MinPerClient)) return new Partition(method, indices, labels, classes);
        }
        throw new InvalidOperationException($"no Dirichlet({Alpha}) draw in {MaxAttempts} gave every client at least {MinPerClient} samples");
    }

    private int[][] Draw(int[] sorted, int[] count, RngStream rng)
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
