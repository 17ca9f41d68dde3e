using NanoFed.Federation.Compression;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// CHOCO-Gossip, the communication step of CHOCO-SGD (Koloskova et al., arXiv 1902.00340, Alg. 2), on a fixed
/// undirected graph with the Metropolis-Hastings matrix W (<see cref="MetropolisMixing"/>). Node i keeps its public
/// estimate x̂_i and a copy of x̂_j for every neighbour j (all start at 0). At iteration t it sends
/// q_i = C(x_i − x̂_i), compressed per tensor, to every neighbour; then x̂_j += q_j for j ∈ N_i ∪ {i} and
/// x_i ← x_i + γ Σ_j W_ij (x̂_j − x̂_i). Σ_i x_i is conserved because W is symmetric; with C = identity and γ = 1 this
/// is <see cref="DPsgd"/> up to float rounding. The node's weight w stays 1 and is not sent: a message carries the
/// compressed tensors only. Every copy of x̂_i changes only by
/// the q_i that i also adds to its own, in the same order, so the copies stay bit-identical; that needs fixed
/// neighbours, hence a dynamic topology is rejected, and every message delivered: an undelivered one throws.
/// </summary>
public sealed class Choco : CompressedGossip
{
    /// <summary>
    /// CHOCO-Gossip over <paramref name="topology"/> (symmetric and not dynamic) with compressor
    /// <paramref name="compressor"/> per tensor of <paramref name="layout"/> and consensus step <paramref name="gamma"/> (γ);
    /// randomized compressors draw from streams keyed by (<paramref name="seed"/>, i, t, tensor).
    /// </summary>
    public Choco(ITopology topology, ICompressor compressor, float gamma, TensorLayout layout, ulong seed = 0)
        : base(topology, compressor, gamma, layout, MetropolisMixing.Instance, seed)
    {
        if (topology.IsDynamic)
            throw new ArgumentException($"CHOCO keeps one public copy per neighbour and needs a fixed graph; {topology.GetType().Name} changes with t", nameof(topology));
        MetropolisMixing.CheckSymmetric(topology, 0);
    }

    /// <summary>The mixing weights W (for <see cref="MixingMatrix.At"/>).</summary>
    public IMixing Mixing => MetropolisMixing.Instance;

    /// <summary>Node state of CHOCO: x (as z, with w = 1), its public estimate x̂_i and the copies x̂_j of its neighbours.</summary>
    public sealed class Node(ReadOnlySpan<float> x0) : GossipNode(x0)
    {
        /// <summary>x̂_i, the estimate of x_i that every neighbour also holds.</summary>
        public float[] Hat { get; } = new float[x0.Length];

        /// <summary>x̂_j for every neighbour j heard from so far.</summary>
        public Dictionary<int, float[]> Copies { get; } = [];

        /// <inheritdoc/>
        public override void SaveState(IDictionary<string, float[]> state)
        {
            base.SaveState(state);
            state["hat"] = Hat;
            SaveCopies(state, "peer", Copies);
        }

        /// <inheritdoc/>
        public override void LoadState(IReadOnlyDictionary<string, float[]> state)
        {
            base.LoadState(state);
            Restore(state, "hat", Hat);
            LoadCopies(state, "peer", Copies, Z.Length);
        }
    }

    /// <inheritdoc/>
    protected override GossipNode NewNode(ReadOnlySpan<float> x0) => new Node(x0);

    /// <inheritdoc/>
    public override Message[] Send(GossipNode node, int i, long t)
    {
        var s = (Node)node;
        var diff = new float[s.Z.Length];
        for (int k = 0; k < diff.Length; k++) diff[k] = s.Z[k] - s.Hat[k];
        var q = CompressInto(diff, s.Hat, Stream(i, t));
        return Topology.OutPeers(i, t).Select(j => GossipMessages.Create(t, i, j, q, null)).ToArray();
    }

    /// <inheritdoc/>
    public override void Receive(GossipNode node, int i, long t, IReadOnlyList<Message> inbox, IReadOnlyList<Message> undelivered)
    {
        var s = (Node)node;
        ArgumentNullException.ThrowIfNull(undelivered);
        if (undelivered.Count > 0)
            throw new InvalidOperationException($"CHOCO needs every message delivered (its public copies and symmetric mixing); {undelivered.Count} of node {i} at iteration {t} were not");
        var acc = new float[s.Z.Length];
        foreach (var m in GossipMessages.Sorted(inbox, i, t))
        {
            if (!s.Copies.TryGetValue(m.Sender, out var copy)) s.Copies[m.Sender] = copy = new float[s.Z.Length];
            AddParts(m, copy, weighted: false);
            float w = EdgeWeight(i, m.Sender, t);
            for (int k = 0; k < acc.Length; k++) acc[k] += w * (copy[k] - s.Hat[k]);
        }
        Mix(s, t, acc, 0);
    }
}
