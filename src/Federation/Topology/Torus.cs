namespace NanoFed.Federation.Topology;

/// <summary>
/// Undirected 2-D torus of rows × cols nodes (the D-PSGD / CHOCO baseline of specs/sparse-push.md): node
/// i = r·cols + c sends to its four wrap-around grid neighbours (r ± 1, c) and (r, c ± 1), duplicates and i itself
/// removed (so a side of 1 or 2 gives fewer peers). Always regular: the graph is symmetric and vertex-transitive.
/// </summary>
public sealed class Torus : ITopology
{
    /// <summary>A <paramref name="rows"/> × <paramref name="cols"/> torus (at least 2 nodes).</summary>
    public Torus(int rows, int cols)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(cols, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows * cols, 2, "rows * cols");
        (Rows, Cols) = (rows, cols);
    }

    /// <summary>Grid rows.</summary>
    public int Rows { get; }

    /// <summary>Grid columns.</summary>
    public int Cols { get; }

    /// <inheritdoc/>
    public int NodeCount => Rows * Cols;

    /// <inheritdoc/>
    public bool IsRegular => true;

    /// <inheritdoc/>
    public bool IsDynamic => false;

    /// <inheritdoc/>
    public int[] OutPeers(int i, long t)
    {
        TopologyChecks.Node(i, NodeCount, t);
        int r = i / Cols, c = i % Cols;
        int[] all = [((r + Rows - 1) % Rows) * Cols + c, ((r + 1) % Rows) * Cols + c, r * Cols + (c + Cols - 1) % Cols, r * Cols + (c + 1) % Cols];
        return TopologyChecks.Sorted(all.Where(j => j != i).ToArray());
    }
}
