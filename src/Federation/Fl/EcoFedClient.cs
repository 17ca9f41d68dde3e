using NanoFed.Autograd;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// An <see cref="EcoFed"/> device (Wu et al., arXiv 2304.05495; specs/ecofed.md method 5). It holds the pre-trained,
/// frozen device part (front) in evaluation mode and its data; it is never sent a weight. When a round context
/// arrives (update rounds only) it runs its front over one epoch of its data in batches of B, shuffled from the
/// stream the context keys, quantizes each batch's activations to b bits (one scale per tensor, or per channel) and
/// sends them in one Activations message, and its labels in a Labels message. A client without data sends nothing.
/// </summary>
public sealed class EcoFedClient : IFlClient
{
    private readonly FlClientData _data;
    private readonly Sequential _front;
    private readonly Tape _tape;
    private readonly long _frontFlops;

    /// <summary>A client on <paramref name="data"/> with the frozen device part <paramref name="front"/> and its own <paramref name="tape"/>.</summary>
    public EcoFedClient(FlClientData data, Sequential front, Tape tape)
    {
        _data = data ?? throw new ArgumentNullException(nameof(data));
        _front = front ?? throw new ArgumentNullException(nameof(front));
        _tape = tape ?? throw new ArgumentNullException(nameof(tape));
        _frontFlops = FlopCounter.Forward(front, data.InputShape);
    }

    /// <summary>
    /// Clients whose device part is the first <paramref name="splitIndex"/> layers of <paramref name="createModel"/>'s
    /// model with <paramref name="front"/>'s weights, frozen and in evaluation mode. The server's <see cref="EcoFed"/>
    /// builds its global front the same way, so <paramref name="createModel"/> must build the same weights on every call
    /// (it matters with <see cref="PretrainedFront.None"/>). In-process clients share the read-only front and a tape.
    /// </summary>
    public static Func<FlClientData, IFlClient> Factory(Func<Sequential> createModel, int splitIndex, PretrainedFront front)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        ArgumentNullException.ThrowIfNull(front);
        Sequential? part = null;
        var tape = new Tape();
        return data => new EcoFedClient(data, part ??= Build(createModel, splitIndex, front), tape);
    }

    /// <inheritdoc/>
    public int Id => _data.Id;

    /// <inheritdoc/>
    public double Work(ITransport transport)
    {
        var inbox = RoundContext.Inbox(transport, Id);
        if (RoundContext.Find(Id, inbox) is not { } context || _data.Data.Count == 0) return 0;
        int b = context.Integer(Instructions.Batch), bits = context.Integer(Instructions.Bits);
        int axis = context[Instructions.PerChannel] != 0 ? 1 : -1;
        _front.KeyDropout(context.DropoutKey());
        var rng = context.Rng();
        uint stream = rng.NextUInt32();
        ulong seed = ((ulong)rng.NextUInt32() << 32) | rng.NextUInt32();
        using var loader = new BatchLoader(_data.Data, b, _data.Normalization, shuffle: true, random: new PhiloxEpochRandom(seed, stream));
        var batches = new List<WireTensor>(loader.BatchesPerEpoch);
        var labels = new List<int>(_data.Data.Count);
        using (_tape.NoGrad())
        {
            foreach (var batch in loader.Epoch(0))
            {
                var a = _front.Forward(_tape, new Variable(batch.Images)).Data;
                batches.Add(WireTensor.Quantized(EcoFed.ActivationsPrefix + batches.Count, a.Shape, a.Span, bits, axis));
                labels.AddRange(batch.Labels);
                _tape.Reset();
            }
        }
        transport.Send(new Message(context.Round, Id, Message.Server, MessageKind.Activations, batches));
        transport.Send(new Message(context.Round, Id, Message.Server, MessageKind.Labels, [WireTensor.Labels(EcoFed.LabelsName, labels.ToArray())]));
        return (double)_frontFlops * _data.Data.Count;
    }

    private static Sequential Build(Func<Sequential> createModel, int splitIndex, PretrainedFront front)
    {
        var model = createModel();
        if (splitIndex <= 0 || splitIndex >= model.Count)
            throw new ArgumentOutOfRangeException(nameof(splitIndex), splitIndex, $"the split index must leave layers on both sides: 1..{model.Count - 1}");
        var part = model.Split(splitIndex).Front;
        front.CopyInto(part);
        part.Freeze();
        part.Eval();
        return part;
    }
}
