using NanoFed.Federation.Topology;

namespace NanoFed.Federation.Experiments;

/// <summary>The --graph switch of `nanofed gossip`.</summary>
public static class GossipGraphs
{
    /// <summary>Every graph name.</summary>
    public static readonly string[] Names = ["exponential", "ring", "undirected-ring", "bidirectional-ring", "torus", "permutation", "random"];

    /// <summary>Throws an <see cref="ArgumentException"/> for an unknown graph.</summary>
    public static void Check(string graph)
    {
        if (!Names.Contains(graph)) throw new ArgumentException($"--graph: unknown graph '{graph}' (known: {string.Join(", ", Names)})");
    }

    /// <summary>
    /// Graph <paramref name="name"/> over <paramref name="n"/> agents: SGP's one-peer exponential graph, the directed
    /// ring, the undirected ring (also named bidirectional-ring: the Sparse-Push authors' static ring, every agent sending
    /// to i − 1 and i + 1 at every iteration, push-sum weights 1/3 as in SGP's code), the most square torus rows × cols = n, <paramref name="degree"/> random permutations
    /// or a random digraph of out-degree <paramref name="degree"/>, both re-drawn every iteration from <paramref name="seed"/>.
    /// </summary>
    public static ITopology Create(string name, int n, int degree, ulong seed)
    {
        Check(name);
        return name switch
        {
            "exponential" => new ExponentialGraph(n),
            "ring" => new DirectedRing(n),
            "undirected-ring" or "bidirectional-ring" => new UndirectedRing(n),
            "torus" => Torus(n),
            "permutation" => new PermutationGraphs(n, degree, 1, seed),
            _ => new RandomDigraph(n, degree, 1, seed),
        };
    }

    private static Torus Torus(int n)
    {
        int rows = (int)Math.Sqrt(n);
        while (n % rows != 0) rows--;
        return new Torus(rows, n / rows);
    }
}
