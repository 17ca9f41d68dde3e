using NanoFed.Federation.Compression;
using NanoFed.Federation.Topology;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// The gossip step of D-PSGD (Lian et al., arXiv 1705.09056, Alg. 1): x_i ← Σ_j W_ij x_j with the symmetric, doubly
/// stochastic Metropolis-Hastings matrix W of an undirected graph (<see cref="MetropolisMixing"/>; uniform 1 / (1 + d)
/// on a d-regular graph). Every node sends its full model x_i, dense and unscaled, to each neighbour; the receiver
/// applies W_ij and adds in increasing sender order. The node's weight w stays 1 and is not sent, so
/// <see cref="Bits"/> = 32 per value (no push-sum weight) and <see cref="GossipMessage.Weight"/> is 0. The graph
/// may change with t if it is symmetric at every t: a one-way edge throws an <see cref="ArgumentException"/>.
/// </summary>
public sealed class DPsgd : IGossip
{
    /// <summary>D-PSGD over <paramref name="topology"/>, which must be symmetric (checked at t = 0 here and at every t in use).</summary>
    public DPsgd(ITopology topology)
    {
        Topology = topology ?? throw new ArgumentNullException(nameof(topology));
        MetropolisMixing.CheckSymmetric(topology, 0);
    }

    /// <inheritdoc/>
    public ITopology Topology { get; }

    /// <summary>The mixing weights W (for <see cref="MixingMatrix.At"/>).</summary>
    public IMixing Mixing => MetropolisMixing.Instance;

    /// <inheritdoc/>
    public GossipNode CreateNode(ReadOnlySpan<float> x0) => new(x0);

    /// <inheritdoc/>
    public GossipMessage[] Send(GossipNode node, int i, long t)
    {
        ArgumentNullException.ThrowIfNull(node);
        var part = new Payload { Length = node.Z.Length, Kind = PayloadKind.Dense, Values = node.Z.ToArray() };
        return Topology.OutPeers(i, t).Select(j => new GossipMessage { From = i, To = j, T = t, Parts = [part], Weight = 0 }).ToArray();
    }

    /// <inheritdoc/>
    public void Receive(GossipNode node, int i, long t, IReadOnlyList<GossipMessage> inbox)
    {
        ArgumentNullException.ThrowIfNull(node);
        var z = node.Z;
        float self = (float)Mixing.EdgeWeight(Topology, i, i, t);
        for (int k = 0; k < z.Length; k++) z[k] *= self;
        foreach (var m in GossipLoop.Sorted(inbox, i, t))
        {
            if (m.Parts.Length != 1 || m.Parts[0].Kind != PayloadKind.Dense || m.Parts[0].Length != z.Length)
                throw new ArgumentException($"D-PSGD message {m.From}->{i} must carry one dense tensor of {z.Length} values", nameof(inbox));
            float w = (float)Mixing.EdgeWeight(Topology, i, m.From, t);
            var x = m.Parts[0].Values;
            for (int k = 0; k < z.Length; k++) z[k] += w * x[k];
        }
    }

    /// <inheritdoc/>
    public long Bits(GossipMessage m) => GossipLoop.PartBits(m, NoCompression.Instance);
}
