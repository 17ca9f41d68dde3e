using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// A synchronous driver of a gossip protocol over bare nodes (tests and gossip-only experiments; the decentralized
/// runner drives its peers the same way), and measurements of the nodes.
/// </summary>
public static class GossipLoop
{
    /// <summary>
    /// One synchronous iteration t: every node sends through <paramref name="transport"/> (default: a fresh in-process
    /// transport), then every node receives its inbox. Returns every message as sent.
    /// </summary>
    public static List<Message> Step(IGossip protocol, GossipNode[] nodes, long t, ITransport? transport = null, MessagePhase phase = MessagePhase.Training)
    {
        ArgumentNullException.ThrowIfNull(protocol);
        ArgumentNullException.ThrowIfNull(nodes);
        if (nodes.Length != protocol.Topology.NodeCount) throw new ArgumentException($"{nodes.Length} nodes for a topology of {protocol.Topology.NodeCount}", nameof(nodes));
        transport ??= new InProcessTransport(new TrafficLedger());
        var channels = new GossipChannel[nodes.Length];
        var all = new List<Message>();
        for (int i = 0; i < nodes.Length; i++)
        {
            channels[i] = new GossipChannel(i, protocol, nodes[i], transport);
            all.AddRange(channels[i].Send(t, phase));
        }
        foreach (var c in channels) c.Receive(t, transport.ReceiveAll(c.Node));
        return all;
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
