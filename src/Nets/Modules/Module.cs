using System.Numerics.Tensors;
using NanoFed.Autograd;

namespace NanoFed.Nets.Modules;

/// <summary>
/// A network layer or a network, in the manner of PyTorch's <c>nn.Module</c>: it owns named parameters (leaf
/// <see cref="Variable"/>s with <see cref="Variable.RequiresGrad"/> set), named buffers (state that is saved but
/// not trained, such as batch norm's running statistics) and named children. Full names are dotted paths as in
/// PyTorch's state_dict ("layer1.0.conv1.weight"). Registration order is the state_dict order: a module's own
/// parameters, then its own buffers, then each child in turn (PyTorch's <c>_save_to_state_dict</c>).
/// </summary>
public abstract class Module
{
    private readonly List<(string Name, Variable Value)> _parameters = [];
    private readonly List<(string Name, Tensor Value)> _buffers = [];
    private readonly List<(string Name, Module Value)> _children = [];

    /// <summary>True in training mode (the default), false after <see cref="Eval"/>.</summary>
    public bool IsTraining { get; private set; } = true;

    /// <summary>This module's direct children, in registration order.</summary>
    public IReadOnlyList<(string Name, Module Value)> Children => _children;

    /// <summary>Runs the module on <paramref name="x"/>, recording on <paramref name="tape"/>.</summary>
    public abstract Variable Forward(Tape tape, Variable x);

    /// <summary>
    /// FLOPs of this module's forward pass for one image whose shape without the batch axis, (C, H, W) or (features),
    /// is <paramref name="shape"/>; advances <paramref name="shape"/> to the output's. Conventions: a multiply-add is
    /// 2 FLOPs, biases are not counted; normalizations count the per-element work that remains at inference (BatchNorm
    /// 2, its statistics folded into scale and shift; GroupNorm 4 and EvoNorm-S0 9, their statistics being per image);
    /// ReLU and residual add 1 per element; layers that only move data, 0. Throws an <see cref="ArgumentException"/>
    /// when the shape does not fit the module.
    /// </summary>
    public abstract long ForwardFlops(ref int[] shape);

    /// <summary>Sets training mode on this module and every descendant (PyTorch's <c>train(mode)</c>).</summary>
    public void Train(bool training = true)
    {
        IsTraining = training;
        foreach (var (_, child) in _children) child.Train(training);
    }

    /// <summary>Sets this module's own flag only (used by containers that wrap shared children).</summary>
    private protected void SetTrainingFlag(bool training) => IsTraining = training;

    /// <summary>Sets evaluation mode on this module and every descendant.</summary>
    public void Eval() => Train(false);

    /// <summary>Every parameter, in state_dict order.</summary>
    public List<Variable> Parameters() => NamedParameters().Select(p => p.Parameter).ToList();

    /// <summary>Every parameter with its full dotted name, in state_dict order.</summary>
    public List<(string Name, Variable Parameter)> NamedParameters()
    {
        var list = new List<(string, Variable)>();
        Collect(this, "", list, null);
        return list;
    }

    /// <summary>Every buffer with its full dotted name, in state_dict order.</summary>
    public List<(string Name, Tensor Buffer)> NamedBuffers()
    {
        var list = new List<(string, Tensor)>();
        Collect(this, "", null, list);
        return list;
    }

    /// <summary>Number of trainable elements (the sum of the parameters' lengths).</summary>
    public long ParameterCount() => NamedParameters().Sum(p => (long)p.Parameter.Data.Length);

    /// <summary>
    /// Parameters and buffers by full name, in PyTorch's state_dict order. The tensors are the module's own
    /// (not copies): clone them to keep a snapshot.
    /// </summary>
    public List<(string Name, Tensor Value)> StateDict()
    {
        var list = new List<(string, Tensor)>();
        StateDictInto(this, "", list);
        return list;
    }

    /// <summary>
    /// Copies values from <paramref name="state"/> into this module's parameters and buffers (the tensors keep
    /// their identity, so optimizers and split parts still see them). Every name and shape is checked before
    /// anything is copied: a shape mismatch always throws; with <paramref name="strict"/> (the default), so do
    /// names missing from <paramref name="state"/> and names in it that the module does not have. Values are checked
    /// too: a NaN or infinity anywhere, or a negative BatchNorm running variance, is refused with the tensor's name
    /// (such a model would evaluate to a plausible-looking accuracy: ReLU turns NaN into 0).
    /// </summary>
    /// <param name="state">The values by state-dict name.</param>
    /// <param name="strict">Whether missing and unknown names are refused too.</param>
    /// <param name="namePrefix">Put before every name in an error message, so that it names the entry of the file the state came from.</param>
    public void LoadStateDict(IReadOnlyDictionary<string, Tensor> state, bool strict = true, string namePrefix = "")
    {
        ArgumentNullException.ThrowIfNull(state);
        var own = StateDict();
        var missing = new List<string>();
        var mismatched = new List<string>();
        var poisoned = new List<string>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, value) in own)
        {
            known.Add(name);
            if (!state.TryGetValue(name, out var source)) missing.Add(namePrefix + name);
            else if (source.Shape != value.Shape) mismatched.Add($"{namePrefix}{name}: module {value.Shape}, state {source.Shape}");
            else if (Training.Divergence.NonFinite([(namePrefix + name, source)]) is { } bad) poisoned.Add(bad);
            else if (name.EndsWith("running_var", StringComparison.Ordinal) && TensorPrimitives.Min(source.Span) < 0) poisoned.Add($"{namePrefix}{name} holds a negative variance");
        }
        var unexpected = state.Keys.Where(k => !known.Contains(k)).Order(StringComparer.Ordinal).Select(k => namePrefix + k).ToList();
        var problems = new List<string>();
        if (mismatched.Count > 0) problems.Add("shape mismatch for " + Describe(mismatched));
        if (strict && missing.Count > 0) problems.Add("missing " + Describe(missing));
        if (strict && unexpected.Count > 0) problems.Add("unexpected " + Describe(unexpected));
        if (poisoned.Count > 0) problems.Add(Describe(poisoned));
        if (problems.Count > 0)
            throw new ArgumentException($"LoadStateDict into {GetType().Name}: {string.Join("; ", problems)}", nameof(state));
        foreach (var (name, value) in own)
        {
            if (state.TryGetValue(name, out var source)) source.Span.CopyTo(value.Span);
        }
    }

    /// <summary>Zeroes every parameter's gradient (those that have one); allocates nothing.</summary>
    public void ZeroGrad()
    {
        foreach (var (_, p) in _parameters) p.ZeroGrad();
        foreach (var (_, child) in _children) child.ZeroGrad();
    }

    /// <summary>Stops gradients to every parameter (RequiresGrad = false); the module still runs and, in training mode, still updates batch norm's running statistics.</summary>
    public void Freeze() => SetRequiresGrad(false);

    /// <summary>Undoes <see cref="Freeze"/>: every parameter requires a gradient again.</summary>
    public void Unfreeze() => SetRequiresGrad(true);

    /// <summary>Registers a parameter (a leaf that requires a gradient) named <paramref name="name"/> over <paramref name="value"/>.</summary>
    protected Variable AddParameter(string name, Tensor value)
    {
        CheckName(name);
        var v = new Variable(value, requiresGrad: true, name);
        _parameters.Add((name, v));
        return v;
    }

    /// <summary>Registers a buffer named <paramref name="name"/>.</summary>
    protected Tensor AddBuffer(string name, Tensor value)
    {
        CheckName(name);
        _buffers.Add((name, value));
        return value;
    }

    /// <summary>
    /// Gives every <see cref="Dropout"/> in this module a stream split from <paramref name="key"/>: the i-th in
    /// state-dict order draws from <c>key.Split(i)</c>. A model that several owners train in turn (the clients of a
    /// simulation share one) then draws the same masks in a turn whatever ran on it before, as a model of its own
    /// (a device's) does.
    /// </summary>
    public void KeyDropout(RngStream key)
    {
        ArgumentNullException.ThrowIfNull(key);
        ulong i = 0;
        KeyDropout(this, key, ref i);
    }

    private static void KeyDropout(Module m, RngStream key, ref ulong i)
    {
        if (m is Dropout dropout) dropout.Rng = key.Split(i++);
        foreach (var (_, child) in m._children) KeyDropout(child, key, ref i);
    }

    /// <summary>Registers a child module named <paramref name="name"/> (may contain dots, e.g. "features.0", to reproduce a nested PyTorch name in a flat container).</summary>
    protected T AddChild<T>(string name, T module) where T : Module
    {
        ArgumentNullException.ThrowIfNull(module);
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    private void SetRequiresGrad(bool value)
    {
        foreach (var (_, p) in _parameters) p.RequiresGrad = value;
        foreach (var (_, child) in _children) child.SetRequiresGrad(value);
    }

    private void CheckName(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"{GetType().Name} already has a member named '{name}'", nameof(name));
    }

    private static void Collect(Module m, string prefix, List<(string, Variable)>? parameters, List<(string, Tensor)>? buffers)
    {
        if (parameters != null) foreach (var (n, p) in m._parameters) parameters.Add((prefix + n, p));
        if (buffers != null) foreach (var (n, b) in m._buffers) buffers.Add((prefix + n, b));
        foreach (var (n, child) in m._children) Collect(child, prefix + n + ".", parameters, buffers);
    }

    private static void StateDictInto(Module m, string prefix, List<(string, Tensor)> list)
    {
        foreach (var (n, p) in m._parameters) list.Add((prefix + n, p.Data));
        foreach (var (n, b) in m._buffers) list.Add((prefix + n, b));
        foreach (var (n, child) in m._children) StateDictInto(child, prefix + n + ".", list);
    }

    private static string Describe(List<string> names) =>
        names.Count <= 5 ? string.Join(", ", names) : string.Join(", ", names.Take(5)) + $" and {names.Count - 5} more";
}
