using NanoFed.Federation.Compression;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// Sparse-Push form (B), compressed differences (CHOCO-Gossip style, Koloskova et al., arXiv 1902.00340, Alg. 1,
/// adapted to push-sum; specs/sparse-push.md "Sparse-Push"). Every directed edge i→j has a public copy x̂_ij of the
/// sender's estimate x_i = z_i / w_i, held identically by sender and receiver (one copy per in-neighbour on the
/// receiving side, so edges that come and go in a time-varying graph stay exact; a copy starts at 0 and changes only
/// when the edge is used). At iteration t, for each out-peer j: q = C(x_i − x̂_ij) per tensor, x̂_ij += q, send q
/// with the weight share a_i·w_i. Then z_i ← z_i + γ·(Σ_{j ∈ N_in(i,t)} a_j·w_j·x̂_ji − a_i·w_i·Σ_{j ∈ N_out(i,t)} x̂_ij),
/// which moves γ·a_i·w_i·x̂_ij along every used edge, so Σ_i z_i is conserved; when every x̂ equals its x this is the
/// lazy push-sum step z ← (1 − γ)·z + γ·W z. The weight is uncompressed: w_i ← w_i + γ·(Σ received a_j·w_j + (a_i − 1)·w_i).
/// The copies track x rather than z because x stops moving at consensus while z = w·x keeps moving with w on a
/// non-regular time-varying graph (tracking z left a floor there); on a regular graph w = 1 and both are the same.
/// A message the transport could not deliver is taken back: the sender restores the public copy x̂_ij it had before
/// the send (so both ends of the edge still hold the same copy) and keeps the share a_i·w_i·x̂_ij it would have moved,
/// so Σ_i z_i and Σ_i w_i are conserved whatever is lost (up to float rounding).
/// </summary>
public sealed class DifferenceGossip : CompressedGossip
{
    /// <summary>Form (B) with compressor <paramref name="compressor"/> per tensor of <paramref name="layout"/>, consensus step <paramref name="gamma"/> (γ).</summary>
    public DifferenceGossip(ITopology topology, ICompressor compressor, float gamma, TensorLayout layout, IMixing? mixing = null, ulong seed = 0)
        : base(topology, compressor, gamma, layout, mixing, seed)
    {
    }

    /// <summary>Node state of form (B): z, w, the public copies of its out-edges and in-edges.</summary>
    public sealed class Node(ReadOnlySpan<float> x0) : GossipNode(x0)
    {
        /// <summary>x̂_ij for every out-peer j used so far.</summary>
        public Dictionary<int, float[]> OutCopies { get; } = [];

        /// <summary>x̂_ji for every in-neighbour j heard from so far.</summary>
        public Dictionary<int, float[]> InCopies { get; } = [];

        /// <summary>−a_i·w_i·Σ_{j ∈ N_out} x̂_ij after the last <see cref="Send"/>.</summary>
        public float[] SelfTerm { get; } = new float[x0.Length];

        /// <summary>
        /// x̂_ij as it was before the last <see cref="Send"/> updated it, per out-peer j of that send: what an undelivered
        /// message restores. Only meaningful between a send and its receive, so not part of the saved state.
        /// </summary>
        public Dictionary<int, float[]> PreviousOutCopies { get; } = [];

        /// <inheritdoc/>
        public override void SaveState(IDictionary<string, float[]> state)
        {
            base.SaveState(state);
            state["self"] = SelfTerm;
            SaveCopies(state, "out", OutCopies);
            SaveCopies(state, "in", InCopies);
        }

        /// <inheritdoc/>
        public override void LoadState(IReadOnlyDictionary<string, float[]> state)
        {
            base.LoadState(state);
            Restore(state, "self", SelfTerm);
            LoadCopies(state, "out", OutCopies, Z.Length);
            LoadCopies(state, "in", InCopies, Z.Length);
        }
    }

    /// <inheritdoc/>
    protected override GossipNode NewNode(ReadOnlySpan<float> x0) => new Node(x0);

    /// <inheritdoc/>
    public override Message[] Send(GossipNode node, int i, long t)
    {
        var s = (Node)node;
        float a = Weight(i, t), share = a * s.W;
        var peers = Topology.OutPeers(i, t);
        var messages = new Message[peers.Length];
        var diff = new float[s.Z.Length];
        Array.Clear(s.SelfTerm);
        var rng = Stream(i, t);
        for (int p = 0; p < peers.Length; p++)
        {
            int j = peers[p];
            if (!s.OutCopies.TryGetValue(j, out var copy)) s.OutCopies[j] = copy = new float[s.Z.Length];
            if (!s.PreviousOutCopies.TryGetValue(j, out var previous)) s.PreviousOutCopies[j] = previous = new float[s.Z.Length];
            copy.CopyTo(previous, 0);
            for (int k = 0; k < diff.Length; k++) diff[k] = s.Z[k] / s.W - copy[k];
            var parts = CompressInto(diff, copy, rng.Split((ulong)j));
            for (int k = 0; k < copy.Length; k++) s.SelfTerm[k] -= share * copy[k];
            messages[p] = GossipMessages.Create(t, i, j, parts, share);
        }
        return messages;
    }

    /// <inheritdoc/>
    public override void Receive(GossipNode node, int i, long t, IReadOnlyList<Message> inbox, IReadOnlyList<Message> undelivered)
    {
        var s = (Node)node;
        float a = Weight(i, t);
        var acc = (float[])s.SelfTerm.Clone();
        float accW = (a - 1) * s.W;
        foreach (var m in GossipMessages.Sorted(inbox, i, t))
        {
            if (!s.InCopies.TryGetValue(m.Sender, out var copy)) s.InCopies[m.Sender] = copy = new float[s.Z.Length];
            AddParts(m, copy, weighted: true);
            float w = GossipMessages.Weight(m);
            for (int k = 0; k < acc.Length; k++) acc[k] += w * copy[k];
            accW += w;
        }
        foreach (var m in GossipMessages.Own(undelivered, i, t))
        {
            var copy = s.OutCopies[m.Receiver];
            float w = GossipMessages.Weight(m);
            for (int k = 0; k < acc.Length; k++) acc[k] += w * copy[k];
            s.PreviousOutCopies[m.Receiver].CopyTo(copy, 0);
            accW += w;
        }
        Mix(s, t, acc, accW);
    }
}
