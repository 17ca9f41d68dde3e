using NanoFed.Federation.Compression;
using NanoFed.Federation.Topology;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// Uncompressed push-sum gossip (Kempe et al. 2003; SGP, Assran et al., arXiv 1811.10792, Alg. 1;
/// specs/sparse-push.md "Push-sum core" step 3): node i sends a·z_i and a·w_i to each out-neighbour, with
/// a = a_i(t) from <see cref="IMixing"/>, then z_i ← a·z_i + Σ received z, w_i ← a·w_i + Σ received w.
/// Received messages are added in increasing sender order.
/// </summary>
public sealed class PushSum(ITopology topology, IMixing? mixing = null) : IGossip
{
    private readonly IMixing _mixing = mixing ?? UniformMixing.Instance;

    /// <inheritdoc/>
    public ITopology Topology { get; } = topology ?? throw new ArgumentNullException(nameof(topology));

    /// <inheritdoc/>
    public GossipNode CreateNode(ReadOnlySpan<float> x0) => new(x0);

    /// <inheritdoc/>
    public GossipMessage[] Send(GossipNode node, int i, long t)
    {
        float a = (float)_mixing.Weight(Topology, i, t);
        var part = new Payload { Length = node.Z.Length, Kind = PayloadKind.Dense, Values = node.Z.Select(v => a * v).ToArray() };
        return Topology.OutPeers(i, t).Select(j => new GossipMessage { From = i, To = j, T = t, Parts = [part], Weight = a * node.W }).ToArray();
    }

    /// <inheritdoc/>
    public void Receive(GossipNode node, int i, long t, IReadOnlyList<GossipMessage> inbox)
    {
        float a = (float)_mixing.Weight(Topology, i, t);
        var z = node.Z;
        for (int k = 0; k < z.Length; k++) z[k] *= a;
        float w = a * node.W;
        foreach (var m in GossipLoop.Sorted(inbox, i, t))
        {
            m.Parts[0].AddTo(z);
            w += m.Weight;
        }
        node.W = w;
    }

    /// <inheritdoc/>
    public long Bits(GossipMessage m) => GossipLoop.PayloadBits(m, NoCompression.Instance);
}
