using NanoFed.Federation.Compression;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// What the compressed gossip protocols (both forms of Sparse-Push, CHOCO-Gossip) share: the graph, the per-tensor
/// compressor C, the consensus step γ, the tensor layout, the mixing weights and the seed of the compressors' random
/// streams, and the per-tensor update of a public copy. A protocol supplies its node state and its send and receive rules.
/// </summary>
public abstract class CompressedGossip : IGossip
{
    private readonly IMixing _mixing;
    private readonly ulong _seed;

    /// <summary>Validates and keeps the shared configuration.</summary>
    protected CompressedGossip(ITopology topology, ICompressor compressor, float gamma, TensorLayout layout, IMixing? mixing, ulong seed)
    {
        Topology = topology ?? throw new ArgumentNullException(nameof(topology));
        Compressor = compressor ?? throw new ArgumentNullException(nameof(compressor));
        Layout = layout ?? throw new ArgumentNullException(nameof(layout));
        if (!(gamma > 0 && gamma <= 1)) throw new ArgumentOutOfRangeException(nameof(gamma), $"gamma must be in (0, 1], got {gamma}");
        (Gamma, _mixing, _seed) = (gamma, mixing ?? UniformMixing.Instance, seed);
    }

    /// <inheritdoc/>
    public ITopology Topology { get; }

    /// <summary>C.</summary>
    public ICompressor Compressor { get; }

    /// <summary>γ.</summary>
    public float Gamma { get; }

    /// <summary>How γ is applied (<see cref="ConsensusStep"/>; default <see cref="ConsensusStep.Constant"/>).</summary>
    public ConsensusStep Step { get; init; } = ConsensusStep.Constant;

    /// <summary>Tensor split of the vectors.</summary>
    public TensorLayout Layout { get; }

    /// <summary>
    /// Whether a message carries its compressed tensors packed into one (<see cref="WireTensor.Pack"/>): the same values
    /// and indices, so the same updates bit for bit, with one header instead of one per tensor.
    /// </summary>
    public bool Pack { get; init; }

    /// <inheritdoc/>
    public GossipNode CreateNode(ReadOnlySpan<float> x0)
    {
        Layout.Check(x0.Length);
        var node = NewNode(x0);
        node.StepState = Step.NewState(x0.Length);
        return node;
    }

    /// <inheritdoc/>
    public abstract Message[] Send(GossipNode node, int i, long t);

    /// <inheritdoc/>
    public abstract void Receive(GossipNode node, int i, long t, IReadOnlyList<Message> inbox, IReadOnlyList<Message> undelivered);

    /// <summary>The form's node state for x_i = <paramref name="x0"/> (length already checked).</summary>
    protected abstract GossipNode NewNode(ReadOnlySpan<float> x0);

    /// <summary>
    /// The consensus step of iteration <paramref name="t"/>: z ← z + γ_t ⊙ <paramref name="correction"/> and
    /// w ← w + γ̄_t · <paramref name="weightCorrection"/> (<see cref="Step"/>).
    /// </summary>
    protected void Mix(GossipNode node, long t, float[] correction, float weightCorrection)
    {
        Step.Apply(node, Gamma, t, correction);
        node.W += Step.Scalar(Gamma, t) * weightCorrection;
    }

    /// <summary>Node <paramref name="i"/>'s mixing weight a at iteration <paramref name="t"/>.</summary>
    protected float Weight(int i, long t) => (float)_mixing.Weight(Topology, i, t);

    /// <summary>The entry W(t)[j, i] of the mixing weights (i's self weight when j = i).</summary>
    protected float EdgeWeight(int i, int j, long t) => (float)_mixing.EdgeWeight(Topology, i, j, t);

    /// <summary>The compressors' stream of node <paramref name="i"/> at iteration <paramref name="t"/>.</summary>
    protected RngStream Stream(int i, long t) => new RngStream(_seed, (ulong)i).Split((ulong)t);

    /// <summary>
    /// q = C(<paramref name="diff"/>) tensor by tensor (tensor l draws from <paramref name="rng"/>.Split(l)), then
    /// <paramref name="copy"/> += q; returns q as the message carries it (<see cref="OnWire"/>).
    /// </summary>
    protected WireTensor[] CompressInto(float[] diff, float[] copy, RngStream rng)
    {
        var parts = new WireTensor[Layout.Count];
        for (int l = 0; l < Layout.Count; l++)
        {
            parts[l] = Compressor.Compress(GossipMessages.PartName(l), Layout.Slice(diff, l), rng.Split((ulong)l));
            parts[l].AddTo(Layout.Slice(copy, l));
        }
        return OnWire(parts);
    }

    /// <summary>The per-tensor <paramref name="parts"/> as a message carries them: as they are, or packed into one tensor named "0" (<see cref="Pack"/>).</summary>
    protected WireTensor[] OnWire(WireTensor[] parts) => Pack ? [WireTensor.Pack(GossipMessages.PartName(0), parts)] : parts;

    /// <summary><paramref name="dense"/> += the tensors of <paramref name="m"/>, tensor by tensor (checked against the layout).</summary>
    protected void AddParts(Message m, float[] dense, bool weighted)
    {
        if (Pack)
        {
            var packed = GossipMessages.Parts(m, 1, weighted)[0];
            if (packed.Encoding != WireEncoding.SparsePacked || !packed.SegmentLengths.AsSpan().SequenceEqual(Layout.Sizes))
                throw new ArgumentException($"gossip message {m.Sender}->{m.Receiver} of round {m.Round}: expected the packed tensors of layout [{string.Join(", ", Layout.Sizes)}], got {packed}");
            packed.AddTo(dense);
            return;
        }
        var parts = GossipMessages.Parts(m, Layout.Count, weighted);
        for (int l = 0; l < Layout.Count; l++) parts[l].AddTo(Layout.Slice(dense, l));
    }
}
