using NanoFed.Federation.Compression;

namespace NanoFed.Federation.Gossip;

/// <summary>In-memory driver and measurements for the gossip protocols (tests and gossip-only experiments; a real runner routes the messages through its transport).</summary>
public static class GossipLoop
{
    /// <summary>
    /// One synchronous iteration t: every node sends, every message is delivered, every node receives.
    /// Returns all messages of the iteration (for bit counting).
    /// </summary>
    public static List<GossipMessage> Step(IGossip protocol, GossipNode[] nodes, long t)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Length != protocol.Topology.NodeCount) throw new ArgumentException($"{nodes.Length} nodes for a topology of {protocol.Topology.NodeCount}", nameof(nodes));
        var all = new List<GossipMessage>();
        for (int i = 0; i < nodes.Length; i++) all.AddRange(protocol.Send(nodes[i], i, t));
        var inboxes = new List<GossipMessage>[nodes.Length];
        for (int i = 0; i < nodes.Length; i++) inboxes[i] = [];
        foreach (var m in all) inboxes[m.To].Add(m);
        for (int i = 0; i < nodes.Length; i++) protocol.Receive(nodes[i], i, t, inboxes[i]);
        return all;
    }

    /// <summary>The inbox of node i at iteration t in increasing sender order, after checking every message is addressed to (i, t).</summary>
    public static IEnumerable<GossipMessage> Sorted(IReadOnlyList<GossipMessage> inbox, int i, long t)
    {
        ArgumentNullException.ThrowIfNull(inbox);
        foreach (var m in inbox)
            if (m.To != i || m.T != t) throw new ArgumentException($"message {m.From}->{m.To} of iteration {m.T} delivered to node {i} at iteration {t}", nameof(inbox));
        return inbox.OrderBy(m => m.From);
    }

    /// <summary>Payload bits under <paramref name="compressor"/> + 32 for the push-sum weight share.</summary>
    public static long PayloadBits(GossipMessage m, ICompressor compressor) => 32 + PartBits(m, compressor);

    /// <summary>Bits of the per-tensor payloads alone under <paramref name="compressor"/> (protocols that send no weight).</summary>
    public static long PartBits(GossipMessage m, ICompressor compressor)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(compressor);
        long bits = 0;
        foreach (var p in m.Parts) bits += compressor.Bits(p);
        return bits;
    }

    /// <summary>
    /// Consensus distance sqrt((1/n) Σ_i ‖x_i − x̄‖² / d), x_i = z_i / w_i and x̄ their mean (RMS per coordinate), in double.
    /// </summary>
    public static double ConsensusDistance(GossipNode[] nodes)
    {
        int n = nodes.Length, d = nodes[0].Z.Length;
        var xs = nodes.Select(v => v.Estimate()).ToArray();
        double sum = 0;
        for (int k = 0; k < d; k++)
        {
            double mean = 0;
            for (int i = 0; i < n; i++) mean += xs[i][k];
            mean /= n;
            for (int i = 0; i < n; i++) sum += (xs[i][k] - mean) * (xs[i][k] - mean);
        }
        return Math.Sqrt(sum / n / d);
    }

    /// <summary>max over nodes and coordinates of |x_i[k] − target[k]|.</summary>
    public static double MaxError(GossipNode[] nodes, ReadOnlySpan<double> target)
    {
        double max = 0;
        foreach (var node in nodes)
        {
            var x = node.Estimate();
            for (int k = 0; k < x.Length; k++) max = Math.Max(max, Math.Abs(x[k] - target[k]));
        }
        return max;
    }

    /// <summary>RMS per coordinate of x_i − target over all nodes: sqrt((1/n) Σ_i ‖x_i − target‖² / d).</summary>
    public static double RmsError(GossipNode[] nodes, ReadOnlySpan<double> target)
    {
        double sum = 0;
        foreach (var node in nodes)
        {
            var x = node.Estimate();
            for (int k = 0; k < x.Length; k++) sum += (x[k] - target[k]) * (x[k] - target[k]);
        }
        return Math.Sqrt(sum / nodes.Length / target.Length);
    }
}
