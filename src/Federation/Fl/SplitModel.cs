using NanoFed.Autograd;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// What both sides of the DNN-partitioned methods (<see cref="SplitFed"/>, <see cref="LocalLoss"/>,
/// <see cref="FedGkt"/>; specs/ecofed.md) agree on: a model cut at a split index into the device part (front) and the
/// server part (back), the optional auxiliary head (flatten + one linear layer from the cut to the classes), the
/// per-batch activation messages and the loss. The server's side is <see cref="SplitServer"/>, the device's
/// <see cref="SplitDevice"/>.
/// </summary>
internal static class SplitModel
{
    /// <summary>Name of the activations at the cut in a message.</summary>
    public const string ActivationsName = "activations";

    /// <summary>Name of the labels in a message.</summary>
    public const string LabelsName = "labels";

    /// <summary>Stream id of the auxiliary head's initialisation.</summary>
    public const ulong HeadStream = 0x4EAD;

    /// <summary>A message of a batch's activations at the cut (fp32) and its labels.</summary>
    public static Message ActivationsMessage(int round, int client, Tensor activations, ReadOnlySpan<int> labels) =>
        new(round, client, Message.Server, MessageKind.Activations,
            [WireTensor.Dense(ActivationsName, activations.Shape, activations.Span), WireTensor.Labels(LabelsName, labels)]);

    /// <summary>The activations and labels an <see cref="ActivationsMessage"/> carries.</summary>
    public static (Tensor Activations, int[] Labels) ReadActivations(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Kind != MessageKind.Activations) throw new ArgumentException($"expected activations, got {message}", nameof(message));
        var a = message[ActivationsName];
        var labels = message[LabelsName].Data.Select(b => (int)b).ToArray();
        if (a.Shape.Rank == 0 || a.Shape[0] != labels.Length)
            throw new ArgumentException($"{message}: {labels.Length} labels for activations of shape {a.Shape}", nameof(message));
        return (Tensor.FromArray(a.ToArray(), a.Shape), labels);
    }

    /// <summary>The server's empty Control-phase answer to a request that needs no data back.</summary>
    public static Message Acknowledgement(Message request) =>
        new(request.Round, Message.Server, request.Sender, MessageKind.Control, [], MessagePhase.Control);

    /// <summary>Throws unless <paramref name="reply"/> is the kind the client waited for.</summary>
    public static Message Expect(Message reply, MessageKind kind, MessagePhase phase = MessagePhase.Training) =>
        reply.Kind == kind && reply.Phase == phase ? reply : throw new InvalidOperationException($"expected a {kind} {phase} reply, got {reply}");

    /// <summary>Cross-entropy, plus T²·KL(softmax(teacher/T) ‖ softmax(logits/T)) when <paramref name="teacher"/> is given.</summary>
    public static Variable Loss(Tape tape, Variable logits, int[] labels, Tensor? teacher, float temperature)
    {
        var loss = tape.CrossEntropy(logits, labels);
        return teacher is null ? loss : tape.Add(loss, tape.KlDiv(logits, new Variable(teacher), temperature));
    }

    /// <summary>Copies rows <paramref name="rows"/> of <paramref name="source"/> (row length = destination length / row count) into <paramref name="destination"/>, in order.</summary>
    public static void GatherRows(ReadOnlySpan<float> source, ReadOnlySpan<int> rows, Span<float> destination)
    {
        int length = destination.Length / rows.Length;
        for (int i = 0; i < rows.Length; i++) source.Slice(rows[i] * length, length).CopyTo(destination.Slice(i * length, length));
    }

    /// <summary>The auxiliary head from a cut of shape <paramref name="cut"/> to <paramref name="classes"/>, initialised from RngStream(seed, <see cref="HeadStream"/>).</summary>
    public static Sequential Head(int[] cut, int classes, ulong seed)
    {
        int features = cut.Aggregate(1, (a, b) => a * b);
        return new Sequential(("flatten", new Flatten()), ("head", new Linear(features, classes, new RngStream(seed, HeadStream))));
    }

    /// <summary>Elements of one sample at the cut.</summary>
    public static int Elements(int[] cut) => cut.Aggregate(1, (a, b) => a * b);
}
