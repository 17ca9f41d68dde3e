using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// The gossip step of D-PSGD (Lian et al., arXiv 1705.09056, Alg. 1): x_i ← Σ_j W_ij x_j with the symmetric, doubly
/// stochastic Metropolis-Hastings matrix W of an undirected graph (<see cref="MetropolisMixing"/>; uniform 1 / (1 + d)
/// on a d-regular graph). Every node sends its full model x_i, dense and unscaled, to each neighbour; the receiver
/// applies W_ij and adds in increasing sender order. The node's weight w stays 1 and is not sent: a message carries one
/// dense tensor. The graph may change with t if it is symmetric at every t: a one-way edge throws an
/// <see cref="ArgumentException"/>. W needs every message: an undelivered one throws.
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
    public Message[] Send(GossipNode node, int i, long t)
    {
        ArgumentNullException.ThrowIfNull(node);
        WireTensor[] part = [WireTensor.Dense(GossipMessages.PartName(0), new Shape(node.Z.Length), node.Z)];
        return Topology.OutPeers(i, t).Select(j => GossipMessages.Create(t, i, j, part, null)).ToArray();
    }

    /// <inheritdoc/>
    public void Receive(GossipNode node, int i, long t, IReadOnlyList<Message> inbox, IReadOnlyList<Message> undelivered)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(undelivered);
        if (undelivered.Count > 0)
            throw new InvalidOperationException($"D-PSGD needs every message delivered (symmetric mixing); {undelivered.Count} of node {i} at iteration {t} were not");
        var z = node.Z;
        float self = (float)Mixing.EdgeWeight(Topology, i, i, t);
        for (int k = 0; k < z.Length; k++) z[k] *= self;
        foreach (var m in GossipMessages.Sorted(inbox, i, t))
        {
            var part = GossipMessages.Parts(m, 1, weighted: false)[0];
            if (part.Encoding != WireEncoding.DenseF32 || part.Shape.Length != z.Length)
                throw new ArgumentException($"D-PSGD message {m.Sender}->{i} must carry one dense tensor of {z.Length} values", nameof(inbox));
            float w = (float)Mixing.EdgeWeight(Topology, i, m.Sender, t);
            var x = part.Values;
            for (int k = 0; k < z.Length; k++) z[k] += w * x[k];
        }
    }
}
