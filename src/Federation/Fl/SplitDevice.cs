using NanoFed.Autograd;
using NanoFed.Federation.Systems;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Fl;

/// <summary>
/// A device's side of the DNN-partitioned methods (<see cref="SplitModel"/>): its working copy of the front and of the
/// auxiliary head, and the tape it trains them with. The whole state is overwritten by the front and head the
/// server sends at each turn's start (so the head's own initialisation never matters), and goes back with n_k at the
/// turn's end. The clients one factory makes share one device part: they take turns in one process.
/// </summary>
internal sealed class SplitDevice
{
    /// <summary>Builds the device part of <paramref name="createModel"/>'s model, with a head to <paramref name="classes"/> when positive.</summary>
    public SplitDevice(Func<Sequential> createModel, int splitIndex, ReadOnlySpan<int> inputShape, int classes)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        var model = createModel();
        if (splitIndex <= 0 || splitIndex >= model.Count)
            throw new ArgumentOutOfRangeException(nameof(splitIndex), splitIndex, $"split index must leave layers on both sides, in [1, {model.Count - 1}]");
        Front = model.Split(splitIndex).Front;
        CutShape = FlopCounter.OutputShape(Front, inputShape);
        FrontFlops = FlopCounter.Forward(Front, inputShape);
        Classes = classes;
        if (classes > 0)
        {
            Head = SplitModel.Head(CutShape, classes, seed: 0);
            HeadFlops = FlopCounter.Forward(Head, CutShape);
        }
    }

    /// <summary>The working front.</summary>
    public Sequential Front { get; }

    /// <summary>The working head, or null.</summary>
    public Sequential? Head { get; }

    /// <summary>Outputs of the head (0 without one).</summary>
    public int Classes { get; }

    /// <summary>The tape of the device's work.</summary>
    public Tape Tape { get; } = new();

    /// <summary>One image's activations at the cut.</summary>
    public int[] CutShape { get; }

    /// <summary>Forward FLOPs per image of the front.</summary>
    public long FrontFlops { get; }

    /// <summary>Forward FLOPs per image of the head (0 without one).</summary>
    public long HeadFlops { get; }

    /// <summary>A factory of clients sharing one device part built on first use.</summary>
    public static Func<FlClientData, IFlClient> Factory(Func<Sequential> createModel, int splitIndex, int classes,
        Func<FlClientData, SplitDevice, IFlClient> create)
    {
        ArgumentNullException.ThrowIfNull(createModel);
        SplitDevice? device = null;
        return data => create(data, device ??= new SplitDevice(createModel, splitIndex, data.InputShape, classes));
    }

    /// <summary>The working state in wire order: front, then head.</summary>
    public List<(string Name, Tensor Value)> State() => [.. Front.StateDict(), .. Head?.StateDict() ?? []];

    /// <summary>A turn begins: loads the front and head the server sent, in training mode, their dropout keyed by <paramref name="context"/>.</summary>
    public void Receive(RoundContext context, IReadOnlyList<Message> inbox)
    {
        ModelExchange.Receive(context.Round, context.Client, inbox, State());
        Front.Train();
        Head?.Train();
        var key = context.DropoutKey();
        Front.KeyDropout(key.Split(0));
        Head?.KeyDropout(key.Split(1));
    }

    /// <summary>A turn ends: the reply with front, head and n_k.</summary>
    public Message Reply(int round, int client, int samples) => ModelExchange.Reply(round, client, State(), samples);

    /// <summary>
    /// E epochs of SGD on front and head with cross-entropy, plus distillation towards <paramref name="teacher"/> (one
    /// row of logits per sample of the client's data, by index) when given; shuffled from <paramref name="rng"/>. After
    /// each step <paramref name="onBatch"/> sees the batch's activations at the cut (valid during the call) and labels.
    /// </summary>
    public void TrainWithHead(FlClientData data, RngStream rng, FedAvgOptions options, float[]? teacher, float temperature, Action<Tensor, int[]>? onBatch)
    {
        var head = Head!;
        var sgd = LocalTraining.Sgd([.. Front.Parameters(), .. head.Parameters()], options);
        using var loader = LocalTraining.Loader(data, rng, options.B);
        for (int epoch = 0; epoch < options.E; epoch++)
        {
            int[]? order = teacher is null ? null : loader.Order(epoch);
            foreach (var batch in loader.Epoch(epoch))
            {
                var activations = Front.Forward(Tape, new Variable(batch.Images));
                var logits = head.Forward(Tape, activations);
                var rows = order is null ? null : Rows(teacher!, order.AsSpan(batch.Index * options.B, batch.Count), logits.Shape);
                var loss = SplitModel.Loss(Tape, logits, batch.Labels, rows, temperature);
                // Before the update: the tape's reset gives the activations' buffer back.
                onBatch?.Invoke(activations.Data, batch.Labels);
                SupervisedStep.Update(Tape, sgd, loss);
            }
        }
    }

    private Tensor Rows(float[] logits, ReadOnlySpan<int> samples, Shape shape)
    {
        var rows = Tape.Scratch(shape, zero: false);
        SplitModel.GatherRows(logits, samples, rows.Span);
        return rows;
    }
}
