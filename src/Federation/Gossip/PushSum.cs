using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// Uncompressed push-sum gossip (Kempe et al. 2003; SGP, Assran et al., arXiv 1811.10792, Alg. 1;
/// specs/sparse-push.md "Push-sum core" step 3): node i sends a·z_i and a·w_i to each out-neighbour, with
/// a = a_i(t) from <see cref="IMixing"/>, then z_i ← a·z_i + Σ received z, w_i ← a·w_i + Σ received w.
/// Received messages are added in increasing sender order. A share the transport could not deliver is added back to
/// its sender after the received ones, so Σ_i z_i and Σ_i w_i are conserved whatever is lost (up to float rounding of
/// the sums; the shares themselves are exact).
/// </summary>
public sealed class PushSum(ITopology topology, IMixing? mixing = null) : IGossip
{
    private readonly IMixing _mixing = mixing ?? UniformMixing.Instance;

    /// <inheritdoc/>
    public ITopology Topology { get; } = topology ?? throw new ArgumentNullException(nameof(topology));

    /// <inheritdoc/>
    public GossipNode CreateNode(ReadOnlySpan<float> x0) => new(x0);

    /// <inheritdoc/>
    public Message[] Send(GossipNode node, int i, long t)
    {
        ArgumentNullException.ThrowIfNull(node);
        float a = (float)_mixing.Weight(Topology, i, t);
        var scaled = new float[node.Z.Length];
        for (int k = 0; k < scaled.Length; k++) scaled[k] = a * node.Z[k];
        WireTensor[] part = [WireTensor.Dense(GossipMessages.PartName(0), new Shape(scaled.Length), scaled)];
        return Topology.OutPeers(i, t).Select(j => GossipMessages.Create(t, i, j, part, a * node.W)).ToArray();
    }

    /// <inheritdoc/>
    public void Receive(GossipNode node, int i, long t, IReadOnlyList<Message> inbox, IReadOnlyList<Message> undelivered)
    {
        ArgumentNullException.ThrowIfNull(node);
        float a = (float)_mixing.Weight(Topology, i, t);
        var z = node.Z;
        for (int k = 0; k < z.Length; k++) z[k] *= a;
        float w = a * node.W;
        foreach (var m in GossipMessages.Sorted(inbox, i, t).Concat(GossipMessages.Own(undelivered, i, t)))
        {
            GossipMessages.Parts(m, 1, weighted: true)[0].AddTo(z);
            w += GossipMessages.Weight(m);
        }
        node.W = w;
    }
}
