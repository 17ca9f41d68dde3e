namespace NanoFed.Federation.Transport;

/// <summary>What a message carries.</summary>
public enum MessageKind : byte
{
    /// <summary>Model parameters (whole model, a device part, a head).</summary>
    Weights = 1,

    /// <summary>Activations at the cut, device to server.</summary>
    Activations = 2,

    /// <summary>Gradients (of the activations at the cut, or of parameters).</summary>
    Gradients = 3,

    /// <summary>Labels, as raw bytes.</summary>
    Labels = 4,

    /// <summary>Logits (FedGKT's knowledge transfer).</summary>
    Logits = 5,

    /// <summary>Anything else: scalars, push-sum weights, commands.</summary>
    Control = 6,

    /// <summary>Running statistics (BatchNorm buffers) gossiped beside the parameters (SCSP's <c>--consensus-bn gossip</c>).</summary>
    Statistics = 7,
}

/// <summary>Which part of a run a message belongs to; the ledger reports the phases apart.</summary>
public enum MessagePhase : byte
{
    /// <summary>Training: a round's models, activations and gradients, or a gossip iteration's exchange.</summary>
    Training = 0,

    /// <summary>Consensus rounds after training (Skew-Compensated Sparse-Push), no local step between them.</summary>
    Consensus = 1,

    /// <summary>Control traffic: round instructions, acknowledgements.</summary>
    Control = 2,
}

/// <summary>
/// One message between two nodes: a round, a sender, a receiver (client ids 0..n−1, or <see cref="Server"/>), a
/// kind and a payload of named tensors, each with its own wire encoding. <see cref="WireFormat"/> turns it into
/// the bytes a network would carry.
/// </summary>
public sealed class Message
{
    /// <summary>The node id of the server.</summary>
    public const int Server = -1;

    /// <summary>The part of the run this message belongs to.</summary>
    public MessagePhase Phase { get; }

    /// <summary>A message of <paramref name="kind"/> from <paramref name="sender"/> to <paramref name="receiver"/> in <paramref name="round"/>.</summary>
    public Message(int round, int sender, int receiver, MessageKind kind, IReadOnlyList<WireTensor> payload, MessagePhase phase = MessagePhase.Training)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        ArgumentNullException.ThrowIfNull(payload);
        if (!Enum.IsDefined(kind)) throw new ArgumentOutOfRangeException(nameof(kind), kind, "unknown message kind");
        if (!Enum.IsDefined(phase)) throw new ArgumentOutOfRangeException(nameof(phase), phase, "unknown message phase");
        Phase = phase;
        Round = round;
        Sender = sender;
        Receiver = receiver;
        Kind = kind;
        Payload = payload;
    }

    /// <summary>The round (or iteration) the message belongs to.</summary>
    public int Round { get; }

    /// <summary>The sending node.</summary>
    public int Sender { get; }

    /// <summary>The receiving node.</summary>
    public int Receiver { get; }

    /// <summary>What the message carries.</summary>
    public MessageKind Kind { get; }

    /// <summary>The named tensors carried, in order.</summary>
    public IReadOnlyList<WireTensor> Payload { get; }

    /// <summary>The payload tensor named <paramref name="name"/>; throws if there is none.</summary>
    public WireTensor this[string name] =>
        Payload.FirstOrDefault(t => t.Name == name) ?? throw new KeyNotFoundException($"message has no tensor '{name}'");

    /// <summary>
    /// Decodes the payload into <paramref name="destination"/> (overwritten), which must list the same names with
    /// the same shapes in the same order (e.g. the receiver's own <c>NamedParameters</c> data). Everything is
    /// checked before anything is written.
    /// </summary>
    public void DecodeInto(IReadOnlyList<(string Name, Tensor Value)> destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        if (destination.Count != Payload.Count)
            throw new ArgumentException($"message carries {Payload.Count} tensors, destination has {destination.Count}");
        for (int i = 0; i < Payload.Count; i++)
            if (Payload[i].Name != destination[i].Name || Payload[i].Shape != destination[i].Value.Shape)
                throw new ArgumentException($"tensor {i}: message has '{Payload[i].Name}' {Payload[i].Shape}, destination '{destination[i].Name}' {destination[i].Value.Shape}");
        for (int i = 0; i < Payload.Count; i++) Payload[i].Decode(destination[i].Value.Span);
    }

    /// <inheritdoc/>
    public override string ToString() => $"{Kind} {Phase} r{Round} {Sender}->{Receiver} ({Payload.Count} tensors)";
}
