using System.Diagnostics;
using NanoFed.Memory;

namespace NanoFed.Autograd;

/// <summary>
/// Backward rule of one recorded op: reads the output gradient <c>e.Output.Grad</c> and what forward saved
/// in <paramref name="e"/>, and accumulates into the inputs' gradients. Always a static lambda or method,
/// so recording allocates nothing. It keeps no reference to <c>e.Output.Grad</c>: the tape gives an
/// intermediate's gradient back to the pool as soon as the rule has run.
/// </summary>
public delegate void BackwardFn(ref readonly TapeEntry e);

/// <summary>
/// One recorded op: its backward rule, output, up to four inputs, up to three saved tensors and a few
/// integer and float arguments. A plain struct reused in place, so the tape allocates nothing in steady state.
/// </summary>
public struct TapeEntry
{
    /// <summary>The backward rule.</summary>
    public BackwardFn Backward;

    /// <summary>The op's output.</summary>
    public Variable Output;

    /// <summary>Inputs (null when unused).</summary>
    public Variable? A, B, C, D;

    /// <summary>Tensors forward saved for backward (tape scratch, returned on reset).</summary>
    public Tensor? Saved0, Saved1, Saved2;

    /// <summary>Integer arguments (stride, padding, ...).</summary>
    public int I0, I1, I2, I3;

    /// <summary>Float arguments (epsilon, temperature, ...).</summary>
    public float F0, F1;
}

/// <summary>
/// Watches a tape for profiling: told right after each op is recorded (so the time since the previous
/// notice is that op's forward) and after each backward rule runs, with its start and end
/// <see cref="Stopwatch"/> timestamps. Calls come on the tape's thread.
/// </summary>
public interface ITapeObserver
{
    /// <summary>Op <paramref name="entry"/> has just been recorded (its forward work is done).</summary>
    void Recorded(ref readonly TapeEntry entry);

    /// <summary>The backward rule of <paramref name="entry"/> ran from <paramref name="startTimestamp"/> to <paramref name="endTimestamp"/>.</summary>
    void BackwardRan(ref readonly TapeEntry entry, long startTimestamp, long endTimestamp);
}

/// <summary>
/// Records differentiable ops in execution order, then <see cref="Backward(Variable)"/> walks them in reverse
/// (iteratively; forward order is a topological order). Intermediates and saved tensors come from the pool
/// and go back on <see cref="Reset"/>; call it once per step after the optimizer has used the gradients.
/// Ops are extension methods on the tape (one file per op under Ops/), each with its forward and backward
/// side by side. Not thread-safe: one tape per training thread.
/// </summary>
public sealed class Tape
{
    private TapeEntry[] _entries = new TapeEntry[256];
    private int _count;
    private readonly List<Variable> _variables = [];
    private readonly Stack<Variable> _freeVariables = new();
    private readonly List<Tensor> _scratch = [];
    private int _noGradDepth;

    /// <summary>
    /// A profiler told of every op recorded and every backward rule run, or null (the default): one null
    /// check per op, so the unobserved path costs nothing measurable.
    /// </summary>
    public ITapeObserver? Observer { get; set; }

    /// <summary>Number of recorded ops.</summary>
    public int Count => _count;

    /// <summary>True unless inside a <see cref="NoGrad"/> scope.</summary>
    public bool IsRecording => _noGradDepth == 0;

    /// <summary>Whether an op on these inputs must be recorded: recording is on and some input requires a gradient.</summary>
    public bool Records(Variable a, Variable? b = null, Variable? c = null, Variable? d = null) =>
        _noGradDepth == 0 && (a.RequiresGrad || (b?.RequiresGrad ?? false) || (c?.RequiresGrad ?? false) || (d?.RequiresGrad ?? false));

    /// <summary>A scope in which ops run without recording (restores the previous state when disposed).</summary>
    public NoGradScope NoGrad()
    {
        _noGradDepth++;
        return new NoGradScope(this);
    }

    /// <summary>A new intermediate variable of <paramref name="shape"/> (zeros when <paramref name="zero"/>), owned by the tape until <see cref="Reset"/>.</summary>
    public Variable Intermediate(Shape shape, bool zero = false)
    {
        var data = TensorPool.Rent(shape, zero);
        var v = _freeVariables.Count > 0 ? _freeVariables.Pop() : new Variable(data);
        v.Rebind(data);
        v.Owner = this;
        _variables.Add(v);
        return v;
    }

    /// <summary>An intermediate that views <paramref name="source"/>'s value with another shape (no copy).</summary>
    public Variable IntermediateView(Variable source, Shape shape)
    {
        var data = TensorPool.RentView(source.Data, shape);
        var v = _freeVariables.Count > 0 ? _freeVariables.Pop() : new Variable(data);
        v.Rebind(data);
        v.Owner = this;
        _variables.Add(v);
        return v;
    }

    /// <summary>A zeroed tensor owned by the tape until <see cref="Reset"/> (state saved for backward).</summary>
    public Tensor Scratch(Shape shape, bool zero = true)
    {
        var t = TensorPool.Rent(shape, zero);
        _scratch.Add(t);
        return t;
    }

    /// <summary>Records an op; marks its output as requiring a gradient.</summary>
    public void Record(in TapeEntry entry)
    {
        if (_count == _entries.Length) Array.Resize(ref _entries, _count * 2);
        _entries[_count++] = entry;
        entry.Output.RequiresGrad = true;
        Observer?.Recorded(in _entries[_count - 1]);
    }

    /// <summary>Backpropagates from a scalar <paramref name="loss"/> (seeded with gradient 1).</summary>
    public void Backward(Variable loss)
    {
        if (loss.Data.Length != 1)
            throw new ArgumentException($"Backward needs a scalar loss, got shape {loss.Shape}; pass an output gradient instead", nameof(loss));
        var g = loss.GradForAccumulation()
            ?? throw new InvalidOperationException("the loss does not depend on anything that requires a gradient");
        g.Span[0] += 1f;
        Walk();
    }

    /// <summary>Backpropagates from <paramref name="output"/> with gradient <paramref name="outputGrad"/> (accumulated into output's gradient).</summary>
    public void Backward(Variable output, Tensor outputGrad)
    {
        if (output.Shape != outputGrad.Shape)
            throw new ArgumentException($"output gradient shape {outputGrad.Shape} does not match output shape {output.Shape}", nameof(outputGrad));
        var g = output.GradForAccumulation()
            ?? throw new InvalidOperationException("the output does not depend on anything that requires a gradient");
        var gs = g.Span;
        var os = outputGrad.Span;
        for (int i = 0; i < gs.Length; i++) gs[i] += os[i];
        Walk();
    }

    /// <summary>Forgets every recorded op and gives intermediates, their gradients and scratch back to the pool.</summary>
    public void Reset()
    {
        Array.Clear(_entries, 0, _count);
        _count = 0;
        foreach (var v in _variables) Release(v);
        _variables.Clear();
        foreach (var t in _scratch) t.Dispose();
        _scratch.Clear();
    }

    /// <summary>Number of intermediates the tape holds: a mark for <see cref="ReleaseSince"/>.</summary>
    public int IntermediateCount => _variables.Count;

    /// <summary>
    /// Inside a <see cref="NoGrad"/> scope, gives back to the pool every intermediate created since
    /// <paramref name="mark"/> (an earlier <see cref="IntermediateCount"/>) except <paramref name="keep"/> and those
    /// whose storage it views. No backward will read them, so an inference pass holds one layer's tensors at a time
    /// instead of the whole network's. While recording it does nothing: backward reads what forward kept.
    /// </summary>
    public void ReleaseSince(int mark, Variable keep)
    {
        ArgumentNullException.ThrowIfNull(keep);
        if (mark < 0 || mark > _variables.Count)
            throw new ArgumentOutOfRangeException(nameof(mark), mark, $"a mark lies in [0, {_variables.Count}]");
        if (IsRecording) return;
        float[] kept = keep.Data.Array;
        int write = mark;
        for (int i = mark; i < _variables.Count; i++)
        {
            var v = _variables[i];
            if (ReferenceEquals(v, keep) || ReferenceEquals(v.Data.Array, kept)) _variables[write++] = v;
            else Release(v);
        }
        _variables.RemoveRange(write, _variables.Count - write);
    }

    private void Release(Variable v)
    {
        v.Data.Dispose();
        v.Grad?.Dispose();
        v.Owner = null;
        v.Grad = null;
        _freeVariables.Push(v);
    }

    /// <summary>
    /// Runs the backward rules in reverse order. Once an op's rule has run, nothing reads its output's gradient
    /// again (forward order is topological), so an intermediate's gradient goes back to the pool right away and
    /// is reused by the gradients of earlier layers: the step's peak memory holds a few gradients, not one per
    /// activation. This also makes a second backward before <see cref="Reset"/> start from fresh gradients.
    /// </summary>
    private void Walk()
    {
        var observer = Observer;
        for (int i = _count - 1; i >= 0; i--)
        {
            ref readonly var e = ref _entries[i];
            if (e.Output.Grad is null) continue;
            long start = observer is null ? 0 : Stopwatch.GetTimestamp();
            e.Backward(in e);
            observer?.BackwardRan(in e, start, Stopwatch.GetTimestamp());
            if (e.Output.Owner == this)
            {
                e.Output.Grad.Dispose();
                e.Output.Grad = null;
            }
        }
    }

    internal void EndNoGrad() => _noGradDepth--;
}

/// <summary>Ends a no-grad scope when disposed.</summary>
public readonly struct NoGradScope : IDisposable
{
    private readonly Tape _tape;

    internal NoGradScope(Tape tape) => _tape = tape;

    /// <summary>Restores recording.</summary>
    public void Dispose() => _tape.EndNoGrad();
}
