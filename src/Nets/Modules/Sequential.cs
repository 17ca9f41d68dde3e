using NanoFed.Autograd;

namespace NanoFed.Nets.Modules;

/// <summary>
/// Children run one after another (PyTorch's <c>nn.Sequential</c>). Children are named "0", "1", ... unless
/// given names. Every model in <see cref="NanoFed.Nets.Models"/> is a Sequential of its top-level stages, so that
/// <see cref="Split"/> can cut it into a device part and a server part.
/// </summary>
public sealed class Sequential : Module
{
    private readonly List<Module> _layers = [];

    /// <summary>An empty container.</summary>
    public Sequential()
    {
    }

    /// <summary>Children named "0", "1", ... in order.</summary>
    public Sequential(params Module[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        for (int i = 0; i < layers.Length; i++) Add(i.ToString(System.Globalization.CultureInfo.InvariantCulture), layers[i]);
    }

    /// <summary>Named children in order.</summary>
    public Sequential(params (string Name, Module Layer)[] layers)
    {
        ArgumentNullException.ThrowIfNull(layers);
        foreach (var (name, layer) in layers) Add(name, layer);
    }

    /// <summary>Number of children.</summary>
    public int Count => _layers.Count;

    /// <summary>Child <paramref name="index"/>.</summary>
    public Module this[int index] => _layers[index];

    /// <summary>Appends a child named <paramref name="name"/>; returns this.</summary>
    public Sequential Add(string name, Module layer)
    {
        _layers.Add(AddChild(name, layer));
        return this;
    }

    /// <inheritdoc/>
    public override long ForwardFlops(ref int[] shape)
    {
        long total = 0;
        foreach (var layer in _layers) total += layer.ForwardFlops(ref shape);
        return total;
    }

    /// <summary>
    /// Runs the children in order, fusing the common runs: <see cref="Conv2d"/> → <see cref="BatchNorm2d"/> (→ <see cref="ReLU"/>)
    /// through <see cref="Conv2d.Forward(Tape, Variable, BatchNorm2d, bool)"/>, and <see cref="BatchNorm2d"/> → <see cref="ReLU"/>
    /// through <see cref="BatchNorm2d.ForwardRelu"/>. The values are those of the children run one by one. Outside
    /// recording, what a child created is given back once the next child has its output (the tape's
    /// <see cref="Tape.ReleaseSince"/>), so inference holds one child's tensors at a time; the caller's input is kept.
    /// </summary>
    public override Variable Forward(Tape tape, Variable x)
    {
        ArgumentNullException.ThrowIfNull(tape);
        int mark = tape.IntermediateCount;
        for (int i = 0; i < _layers.Count; i++)
        {
            var next = i + 1 < _layers.Count ? _layers[i + 1] : null;
            bool reluAfterNext = i + 2 < _layers.Count && _layers[i + 2] is ReLU;
            if (_layers[i] is Conv2d conv && next is BatchNorm2d normalization)
            {
                x = conv.Forward(tape, x, normalization, reluAfterNext);
                i += reluAfterNext ? 2 : 1;
            }
            else if (_layers[i] is BatchNorm2d bn && next is ReLU)
            {
                x = bn.ForwardRelu(tape, x);
                i++;
            }
            else
            {
                x = _layers[i].Forward(tape, x);
            }
            tape.ReleaseSince(mark, x);
        }
        return x;
    }

    /// <summary>
    /// Cuts at <paramref name="index"/> (0 ≤ index ≤ Count): the front holds children [0, index), the back
    /// children [index, Count), with their names. Both share this model's child modules, so their parameters and
    /// buffers are the very same objects (training a part trains the whole), their state_dict names are the
    /// whole model's, and back.Forward(front.Forward(x)) computes exactly Forward(x). Both parts report this
    /// module's training mode (the children's own modes are left as they are).
    /// </summary>
    public (Sequential Front, Sequential Back) Split(int index)
    {
        if (index < 0 || index > _layers.Count)
            throw new ArgumentOutOfRangeException(nameof(index), index, $"split index must be in [0, {_layers.Count}]");
        var front = new Sequential();
        var back = new Sequential();
        for (int i = 0; i < _layers.Count; i++) (i < index ? front : back).Add(Children[i].Name, _layers[i]);
        front.SetTrainingFlag(IsTraining);
        back.SetTrainingFlag(IsTraining);
        return (front, back);
    }
}
