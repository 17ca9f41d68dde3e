using NanoFed.Federation.Compression;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// Sparse-Push form (A), error feedback on the model (DeepSqueeze style; Aketi et al., arXiv 2102.05715;
/// specs/sparse-push.md "Sparse-Push"): per tensor, v = z + e, c = C(v), e ← v − c; node i sends a·c (values +
/// indices) and a·w to each out-neighbour, then z ← z + γ·(Σ received c + (a − 1)·c) and
/// w ← w + γ·(Σ received w + (a − 1)·w) (the same update, uncompressed). Σ_i z_i is conserved (up to float
/// rounding); with C = identity and γ = 1 this is <see cref="PushSum"/>. A share the transport could not deliver is
/// added back to the sender's sum like a received one, so the conservation holds whatever is lost.
/// </summary>
public sealed class ErrorFeedbackGossip : CompressedGossip
{
    /// <summary>Form (A) with compressor <paramref name="compressor"/> per tensor of <paramref name="layout"/>, consensus step <paramref name="gamma"/> (γ).</summary>
    public ErrorFeedbackGossip(ITopology topology, ICompressor compressor, float gamma, TensorLayout layout, IMixing? mixing = null, ulong seed = 0)
        : base(topology, compressor, gamma, layout, mixing, seed)
    {
    }

    /// <summary>Node state of form (A): z, w, the error e and the last compressed c.</summary>
    public sealed class Node(ReadOnlySpan<float> x0) : GossipNode(x0)
    {
        /// <summary>Error memory e (starts at 0).</summary>
        public float[] E { get; } = new float[x0.Length];

        /// <summary>The dense c = C(z + e) of the last <see cref="Send"/>.</summary>
        public float[] C { get; } = new float[x0.Length];

        /// <inheritdoc/>
        public override void SaveState(IDictionary<string, float[]> state)
        {
            base.SaveState(state);
            state["e"] = E;
            state["c"] = C;
        }

        /// <inheritdoc/>
        public override void LoadState(IReadOnlyDictionary<string, float[]> state)
        {
            base.LoadState(state);
            Restore(state, "e", E);
            Restore(state, "c", C);
        }
    }

    /// <inheritdoc/>
    protected override GossipNode NewNode(ReadOnlySpan<float> x0) => new Node(x0);

    /// <inheritdoc/>
    public override Message[] Send(GossipNode node, int i, long t)
    {
        var s = (Node)node;
        float a = Weight(i, t);
        var v = new float[s.Z.Length];
        for (int k = 0; k < v.Length; k++) v[k] = s.Z[k] + s.E[k];
        var parts = new WireTensor[Layout.Count];
        var rng = Stream(i, t);
        for (int l = 0; l < Layout.Count; l++)
        {
            var vl = Layout.Slice(v, l);
            var c = Compressor.Compress(GossipMessages.PartName(l), vl, rng.Split((ulong)l));
            var cl = Layout.Slice(s.C, l);
            cl.Clear();
            c.AddTo(cl);
            var el = Layout.Slice(s.E, l);
            for (int k = 0; k < vl.Length; k++) el[k] = vl[k] - cl[k];
            parts[l] = c.Scaled(a);
        }
        var wire = OnWire(parts);
        return Topology.OutPeers(i, t).Select(j => GossipMessages.Create(t, i, j, wire, a * s.W)).ToArray();
    }

    /// <inheritdoc/>
    public override void Receive(GossipNode node, int i, long t, IReadOnlyList<Message> inbox, IReadOnlyList<Message> undelivered)
    {
        var s = (Node)node;
        float a = Weight(i, t);
        var acc = new float[s.Z.Length];
        for (int k = 0; k < acc.Length; k++) acc[k] = (a - 1) * s.C[k];
        float accW = (a - 1) * s.W;
        foreach (var m in GossipMessages.Sorted(inbox, i, t).Concat(GossipMessages.Own(undelivered, i, t)))
        {
            AddParts(m, acc, weighted: true);
            accW += GossipMessages.Weight(m);
        }
        Mix(s, t, acc, accW);
    }
}
