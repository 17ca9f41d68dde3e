using NanoFed.Autograd;
using NanoFed.Federation.Gossip;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Optim;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Decentralized;

/// <summary>
/// One decentralized training agent (specs/sparse-push.md "Push-sum core"): its own model, data partition, SGD state
/// (momentum buffers) and BatchNorm statistics, all local. Its parameters, flattened per tensor in
/// <see cref="Layout"/> order, are the push-sum state (z, w) of <see cref="Node"/>: a step computes the gradient at
/// x = z / w, takes the optimizer step from x and sets z ← w · x'.
/// </summary>
public sealed class Agent : IDisposable
{
    private readonly Tape _tape = new();
    private readonly List<Variable> _parameters;
    private readonly float[] _x;

    /// <summary>
    /// Agent <paramref name="id"/> training <paramref name="model"/> on <paramref name="data"/> in shuffled batches of
    /// <paramref name="batchSize"/> (the last partial batch dropped, shuffling keyed by (<paramref name="seed"/>, id)),
    /// SGD with learning rate <paramref name="lr"/>, momentum 0.9 and weight decay 1e-4 unless given, and
    /// <paramref name="augmentation"/> (none by default) drawn from the same per-epoch stream as the shuffling; with
    /// <paramref name="quasiGlobalMomentum"/> the momentum buffer is the quasi-global one (<see cref="QuasiGlobalMomentum"/>);
    /// with <paramref name="updateTracking"/> μ each gradient is corrected by Global Update Tracking (<see cref="GlobalUpdateTracking"/>).
    /// </summary>
    public Agent(int id, Sequential model, ImageDataset data, int batchSize, double lr, ulong seed, Normalization normalization,
        double momentum = 0.9, double weightDecay = 1e-4, Augmentation? augmentation = null, bool nesterov = false, bool quasiGlobalMomentum = false,
        double? updateTracking = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(id);
        Model = model ?? throw new ArgumentNullException(nameof(model));
        ArgumentNullException.ThrowIfNull(data);
        if (data.Count < batchSize) throw new ArgumentException($"agent {id} has {data.Count} images, fewer than one batch of {batchSize}", nameof(data));
        Id = id;
        Data = data;
        _parameters = model.Parameters();
        Layout = new TensorLayout(_parameters.Select(p => p.Data.Length).ToArray());
        _x = new float[Layout.Total];
        Optimizer = new Sgd(_parameters, lr, momentum, weightDecay: weightDecay, nesterov: nesterov);
        if (quasiGlobalMomentum) QuasiGlobal = new QuasiGlobalMomentum(Layout.Total, momentum);
        if (updateTracking is { } mu) Tracking = new GlobalUpdateTracking(Layout.Total, mu);
        Loader = new BatchLoader(data, batchSize, normalization, augmentation, shuffle: true, random: new PhiloxEpochRandom(seed, checked((uint)id)), dropLast: true);
        CopyParameters(_x);
        Node = new GossipNode(_x);
    }

    /// <summary>Agent index i.</summary>
    public int Id { get; }

    /// <summary>The local model (its parameters hold the last x' after a step).</summary>
    public Sequential Model { get; }

    /// <summary>The local optimizer (momentum buffers stay local).</summary>
    public Sgd Optimizer { get; }

    /// <summary>The quasi-global momentum buffer that replaces the optimizer's before each step, or null for local momentum.</summary>
    public QuasiGlobalMomentum? QuasiGlobal { get; }

    /// <summary>The Global Update Tracking correction added to each gradient, or null for none.</summary>
    public GlobalUpdateTracking? Tracking { get; }

    /// <summary>The local training data.</summary>
    public ImageDataset Data { get; }

    /// <summary>The local batch loader.</summary>
    public BatchLoader Loader { get; }

    /// <summary>Parameter tensors, in <see cref="Module.Parameters"/> order.</summary>
    public TensorLayout Layout { get; }

    /// <summary>The push-sum state (z, w); replace it with a protocol's node via <see cref="Attach"/>.</summary>
    public GossipNode Node { get; private set; }

    private double _lossSum;
    private int _correct, _seen;

    /// <summary>Makes <paramref name="node"/> (created by a gossip protocol from the current parameters) the agent's state.</summary>
    public void Attach(GossipNode node)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (node.Z.Length != Layout.Total) throw new ArgumentException($"node of {node.Z.Length} values for {Layout.Total} parameters", nameof(node));
        Node = node;
    }

    /// <summary>Copies the model's parameters, flattened, into <paramref name="flat"/>.</summary>
    public void CopyParameters(Span<float> flat)
    {
        Layout.Check(flat.Length);
        for (int l = 0; l < _parameters.Count; l++) _parameters[l].Data.Span.CopyTo(Layout.Slice(flat, l));
    }

    /// <summary>Sets the model's parameters from <paramref name="flat"/>.</summary>
    public void LoadParameters(ReadOnlySpan<float> flat)
    {
        Layout.Check(flat.Length);
        for (int l = 0; l < _parameters.Count; l++) flat.Slice(Layout.Offsets[l], Layout.Sizes[l]).CopyTo(_parameters[l].Data.Span);
    }

    /// <summary>Number of values in the model's buffers (BatchNorm running statistics and counters).</summary>
    public int BufferLength => Model.NamedBuffers().Sum(b => b.Buffer.Length);

    /// <summary>Copies the model's buffers, flattened in state_dict order, into <paramref name="flat"/>.</summary>
    public void CopyBuffers(Span<float> flat)
    {
        foreach (var (_, buffer) in Model.NamedBuffers())
        {
            buffer.Span.CopyTo(flat);
            flat = flat[buffer.Length..];
        }
    }

    /// <summary>Sets the model's buffers from <paramref name="flat"/> (the layout of <see cref="CopyBuffers"/>).</summary>
    public void LoadBuffers(ReadOnlySpan<float> flat)
    {
        foreach (var (_, buffer) in Model.NamedBuffers())
        {
            flat[..buffer.Length].CopyTo(buffer.Span);
            flat = flat[buffer.Length..];
        }
    }

    /// <summary>Writes x = z / w into the model (for evaluation or the next step).</summary>
    public void LoadEstimate()
    {
        Node.Estimate(_x);
        LoadParameters(_x);
    }

    /// <summary>
    /// One local step on <paramref name="batch"/>: x = z / w into the model, gradient at x (plus the update tracking
    /// correction when there is one), SGD step to x' (from the quasi-global buffer when there is one), z ← w · x'.
    /// Returns the batch loss.
    /// </summary>
    public double Step(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var loss = TrainForward(batch);
        double value = loss.Data.Span[0];
        QuasiGlobal?.Begin(_x, Optimizer, Layout);
        Tracking?.Begin(_x);
        SupervisedStep.Update(_tape, Optimizer, loss, Tracking is { } tracking ? () => tracking.Correct(Optimizer.Parameters, Layout) : null);
        CopyParameters(_x);
        Tracking?.End(_x, Optimizer.Lr);
        var z = Node.Z;
        float w = Node.W;
        for (int k = 0; k < z.Length; k++) z[k] = w * _x[k];
        return value;
    }

    /// <summary>
    /// A forward pass on <paramref name="batch"/> in train mode at x = z / w, without any step: the BatchNorm running
    /// statistics move toward the local data (Skew-Compensated Sparse-Push's consensus rounds). Returns the batch loss.
    /// </summary>
    public double Forward(Batch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        double value = TrainForward(batch).Data.Span[0];
        _tape.Reset();
        return value;
    }

    /// <summary>x = z / w into the model, train-mode forward and loss, counted in the train statistics.</summary>
    private Variable TrainForward(Batch batch)
    {
        LoadEstimate();
        Model.Train();
        var (logits, loss) = SupervisedStep.Loss(_tape, Model, batch.Images, batch.Labels);
        _lossSum += loss.Data.Span[0] * batch.Count;
        _correct += Evaluator.CountCorrect(logits.Data.Span, batch.Labels);
        _seen += batch.Count;
        return loss;
    }

    /// <summary>Mean training loss and accuracy since the last call, then resets them.</summary>
    public (double Loss, double Accuracy) TakeTrainStats()
    {
        var r = (_lossSum / Math.Max(1, _seen), (double)_correct / Math.Max(1, _seen));
        (_lossSum, _correct, _seen) = (0, 0, 0);
        return r;
    }

    /// <summary>
    /// The agent's whole state, as a checkpoint holds it, by name: "model." and each state_dict entry (parameters and
    /// buffers), "momentum." and each parameter that has a momentum buffer, "gossip." and each array of the node's
    /// state (<see cref="GossipNode.SaveState"/>, in name order), with quasi-global momentum "qgm.buffer",
    /// "qgm.previous" and "qgm.lr", and with update tracking "gut.correction", "gut.after-step" and "gut.lr". The tensors
    /// are the live ones, not copies (but for the learning rates).
    /// </summary>
    public List<(string Name, Tensor Value)> Snapshot()
    {
        var entries = Model.StateDict().Select(e => ("model." + e.Item1, e.Item2)).ToList();
        var parameters = Model.NamedParameters();
        for (int p = 0; p < parameters.Count; p++)
            if (Optimizer.MomentumBuffer(p) is { } b) entries.Add(("momentum." + parameters[p].Name, b));
        var node = new SortedDictionary<string, float[]>(StringComparer.Ordinal);
        Node.SaveState(node);
        foreach (var (name, values) in node) entries.Add(("gossip." + name, Tensor.FromArray(values, new Shape(values.Length))));
        if (QuasiGlobal is { } q)
        {
            entries.Add(("qgm.buffer", Tensor.FromArray(q.Buffer, new Shape(q.Buffer.Length))));
            entries.Add(("qgm.previous", Tensor.FromArray(q.Previous, new Shape(q.Previous.Length))));
            entries.Add(("qgm.lr", Tensor.FromArray([q.PreviousLr], new Shape(1))));
        }
        if (Tracking is { } g)
        {
            entries.Add(("gut.correction", Tensor.FromArray(g.Correction, new Shape(g.Correction.Length))));
            entries.Add(("gut.after-step", Tensor.FromArray(g.AfterStep, new Shape(g.AfterStep.Length))));
            entries.Add(("gut.lr", Tensor.FromArray([g.PreviousLr], new Shape(1))));
        }
        return entries;
    }

    /// <summary>
    /// Takes back a state <see cref="Snapshot"/> gave (of this agent or of its twin in another process), by name; a
    /// parameter with no "momentum." entry has no momentum buffer. Throws an <see cref="ArgumentException"/> naming a
    /// missing or mis-sized entry, or a model, momentum or node state that is not finite.
    /// </summary>
    public void Restore(IReadOnlyDictionary<string, float[]> state)
    {
        ArgumentNullException.ThrowIfNull(state);
        var model = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        foreach (var (name, tensor) in Model.StateDict())
        {
            var values = state.TryGetValue("model." + name, out var v) ? v : throw new ArgumentException($"agent {Id}'s state has no model.{name}");
            if (values.Length != tensor.Length) throw new ArgumentException($"agent {Id}'s model.{name} has {values.Length} values, the model {tensor.Length}");
            model[name] = Tensor.FromArray(values, tensor.Shape);
        }
        // Checks every value before it copies any: a NaN in one agent would spread to all through the gossip.
        Model.LoadStateDict(model, namePrefix: $"agent.{Id}.model.");
        var parameters = Model.NamedParameters();
        var momentum = new Tensor?[parameters.Count];
        for (int p = 0; p < parameters.Count; p++)
        {
            string name = "momentum." + parameters[p].Name;
            if (!state.TryGetValue(name, out var b)) continue;
            momentum[p] = Tensor.FromArray([.. b], parameters[p].Parameter.Data.Shape);
            if (Divergence.NonFinite([($"agent.{Id}.{name}", momentum[p]!)]) is { } bad) throw new ArgumentException(bad);
        }
        for (int p = 0; p < parameters.Count; p++) Optimizer.SetMomentumBuffer(p, momentum[p]);
        var node = state.Where(e => e.Key.StartsWith("gossip.", StringComparison.Ordinal)).ToDictionary(e => e.Key["gossip.".Length..], e => e.Value, StringComparer.Ordinal);
        foreach (var (name, values) in node)
            if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(values))) throw new ArgumentException($"agent {Id}'s gossip state {name} holds a non-finite value");
        Node.LoadState(node);
        if (QuasiGlobal is { } q)
        {
            const string what = "quasi-global momentum";
            var (buffer, previous, lr) = (OptionEntry(state, "qgm.buffer", q.Buffer.Length, what),
                OptionEntry(state, "qgm.previous", q.Previous.Length, what), OptionEntry(state, "qgm.lr", 1, what));
            buffer.CopyTo(q.Buffer, 0);
            previous.CopyTo(q.Previous, 0);
            q.PreviousLr = lr[0];
        }
        if (Tracking is { } g)
        {
            const string what = "global update tracking";
            var (correction, after, lr) = (OptionEntry(state, "gut.correction", g.Correction.Length, what),
                OptionEntry(state, "gut.after-step", g.AfterStep.Length, what), OptionEntry(state, "gut.lr", 1, what));
            correction.CopyTo(g.Correction, 0);
            after.CopyTo(g.AfterStep, 0);
            g.PreviousLr = lr[0];
        }
    }

    /// <summary>Entry <paramref name="name"/> of the state of an optional part <paramref name="what"/>: present, <paramref name="length"/> values, all finite.</summary>
    private float[] OptionEntry(IReadOnlyDictionary<string, float[]> state, string name, int length, string what)
    {
        if (!state.TryGetValue(name, out var values))
            throw new ArgumentException($"agent {Id}'s state has no {name} (the run uses {what}; was the checkpoint written without it?)");
        if (values.Length != length) throw new ArgumentException($"agent {Id}'s {name} has {values.Length} values, expected {length}");
        if (!float.IsFinite(System.Numerics.Tensors.TensorPrimitives.Sum(values))) throw new ArgumentException($"agent {Id}'s {name} holds a non-finite value");
        return values;
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        Loader.Dispose();
    }
}
