namespace NanoFed.Federation.Gossip;

/// <summary>A node's push-sum state: numerator z_i, weight w_i (starts at 1); the estimate is x_i = z_i / w_i.</summary>
public class GossipNode
{
    /// <summary>A node starting at x_i = z_i = <paramref name="x0"/>, w_i = 1.</summary>
    public GossipNode(ReadOnlySpan<float> x0) => Z = x0.ToArray();

    /// <summary>Numerator z_i.</summary>
    public float[] Z { get; }

    /// <summary>Push-sum weight w_i.</summary>
    public float W { get; set; } = 1;

    /// <summary>The consensus step rule's own state (<see cref="ConsensusStep"/>; null for a rule that keeps none).</summary>
    public float[]? StepState { get; internal set; }

    /// <summary>Writes x_i = z_i / w_i into <paramref name="x"/>.</summary>
    public void Estimate(Span<float> x)
    {
        if (x.Length != Z.Length) throw new ArgumentException($"estimate needs length {Z.Length}, got {x.Length}", nameof(x));
        for (int k = 0; k < Z.Length; k++) x[k] = Z[k] / W;
    }

    /// <summary>x_i = z_i / w_i (allocates).</summary>
    public float[] Estimate()
    {
        var x = new float[Z.Length];
        Estimate(x);
        return x;
    }

    /// <summary>
    /// Adds every array of the node's state to <paramref name="state"/> by name, for checkpoints: "z" and "w" here, a
    /// protocol's own buffers (error memory, public copies) in its override, and "step" when the consensus step rule keeps
    /// a state. The arrays are the live ones, not copies.
    /// </summary>
    public virtual void SaveState(IDictionary<string, float[]> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        state["z"] = Z;
        state["w"] = [W];
        if (StepState is { } step) state["step"] = step;
    }

    /// <summary>Restores what <see cref="SaveState"/> wrote; throws an <see cref="ArgumentException"/> naming a missing or mis-sized entry.</summary>
    public virtual void LoadState(IReadOnlyDictionary<string, float[]> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        Restore(state, "z", Z);
        W = Get(state, "w", 1)[0];
        if (StepState is { } step) Restore(state, "step", step);
    }

    /// <summary>Copies entry <paramref name="name"/> of <paramref name="state"/> into <paramref name="into"/>, checking its length.</summary>
    protected static void Restore(IReadOnlyDictionary<string, float[]> state, string name, float[] into)
    {
        ArgumentNullException.ThrowIfNull(into);
        Get(state, name, into.Length).CopyTo(into, 0);
    }

    /// <summary>Adds one entry "<paramref name="prefix"/>.j" per public copy j of <paramref name="copies"/> (the live arrays).</summary>
    protected static void SaveCopies(IDictionary<string, float[]> state, string prefix, Dictionary<int, float[]> copies)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(copies);
        foreach (var (j, copy) in copies) state[$"{prefix}.{j}"] = copy;
    }

    /// <summary>
    /// Replaces <paramref name="copies"/> with the entries "<paramref name="prefix"/>.j" of <paramref name="state"/>, each of
    /// <paramref name="length"/> values; throws an <see cref="ArgumentException"/> when j is not a node index.
    /// </summary>
    protected static void LoadCopies(IReadOnlyDictionary<string, float[]> state, string prefix, Dictionary<int, float[]> copies, int length)
    {
        ArgumentNullException.ThrowIfNull(state);
        ArgumentNullException.ThrowIfNull(copies);
        copies.Clear();
        string start = prefix + ".";
        foreach (var name in state.Keys)
        {
            if (!name.StartsWith(start, StringComparison.Ordinal)) continue;
            if (!int.TryParse(name.AsSpan(start.Length), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int j))
                throw new ArgumentException($"gossip state entry '{name}' does not name a peer", nameof(state));
            copies[j] = Get(state, name, length).ToArray();
        }
    }

    /// <summary>Entry <paramref name="name"/> of <paramref name="state"/>, which must hold <paramref name="length"/> values.</summary>
    protected static float[] Get(IReadOnlyDictionary<string, float[]> state, string name, int length)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (!state.TryGetValue(name, out var values)) throw new ArgumentException($"gossip state has no entry '{name}'", nameof(state));
        if (values.Length != length) throw new ArgumentException($"gossip state entry '{name}' has {values.Length} values, expected {length}", nameof(state));
        return values;
    }
}
