using System.Buffers.Binary;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Fl;

/// <summary>
/// What the server tells a sampled client at the start of a round (Flower's <c>FitIns</c> config), as one
/// Control-phase message: the round and the client (the message header), the key of the client's random streams (the
/// run's seed and <see cref="ClientStream"/>) and named instructions such as local epochs and learning rate. A client
/// derives every random choice of its turn from this key alone (STYLE rule 23), so it shares no object with the
/// server. Payload: a 16-byte "key" tensor (seed, stream; little-endian), then one 8-byte little-endian double per
/// instruction, named after it (<see cref="Instructions"/>), so every value arrives bit for bit.
/// </summary>
public sealed class RoundContext
{
    /// <summary>Stream id of the clients' random streams: client c in round r uses new RngStream(seed, ClientStream).Split(r).Split(c).</summary>
    public const ulong ClientStream = 0xC11E47;

    private const string KeyName = "key";

    private const ulong DropoutChild = 0xD50;

    private readonly Dictionary<string, double> _instructions;

    /// <summary>The context of <paramref name="client"/> in <paramref name="round"/>.</summary>
    public RoundContext(int round, int client, ulong seed, IEnumerable<(string Name, double Value)> instructions)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(round);
        ArgumentOutOfRangeException.ThrowIfNegative(client);
        ArgumentNullException.ThrowIfNull(instructions);
        Round = round;
        Client = client;
        Seed = seed;
        _instructions = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var (name, value) in instructions)
            if (name == KeyName || !_instructions.TryAdd(name, value)) throw new ArgumentException($"instruction '{name}' is given twice or shadows the key", nameof(instructions));
    }

    /// <summary>The round (1-based).</summary>
    public int Round { get; }

    /// <summary>The client the context is for.</summary>
    public int Client { get; }

    /// <summary>The run's seed, the key of the client's streams.</summary>
    public ulong Seed { get; }

    /// <summary>The client's stream for this round, fresh at its start: every call returns the same sequence.</summary>
    public RngStream Rng() => Stream(Seed, Round, Client);

    /// <summary>
    /// The key of the dropout masks of the client's model in this round (<see cref="NanoFed.Nets.Modules.Module.KeyDropout"/>), a child of
    /// <see cref="Rng"/>: the masks then depend on the run's seed, the round and the client only, not on which
    /// clients trained the same model object before (one per simulation, one per device).
    /// </summary>
    public RngStream DropoutKey() => Rng().Split(DropoutChild);

    /// <summary>The stream of <paramref name="client"/> in <paramref name="round"/> of a run keyed by <paramref name="seed"/>.</summary>
    public static RngStream Stream(ulong seed, int round, int client) => new RngStream(seed, ClientStream).Split((ulong)round).Split((ulong)client);

    /// <summary>The instruction named <paramref name="name"/>; throws naming it when the server did not send it.</summary>
    public double this[string name] => _instructions.TryGetValue(name, out double v) ? v
        : throw new KeyNotFoundException($"round {Round}: the context of client {Client} carries no instruction '{name}'");

    /// <summary>A switch: whether the instruction named <paramref name="name"/> was sent and is not 0 (an absent switch is off).</summary>
    public bool Flag(string name) => _instructions.TryGetValue(name, out double v) && v != 0;

    /// <summary>The instruction named <paramref name="name"/> as an integer; throws when it is not one.</summary>
    public int Integer(string name)
    {
        double v = this[name];
        return v == Math.Floor(v) && v is >= int.MinValue and <= int.MaxValue ? (int)v
            : throw new ArgumentException($"round {Round}: instruction '{name}' of client {Client} must be an integer, got {v}");
    }

    /// <summary>The context as the Control-phase message from the server to its client.</summary>
    public Message ToMessage()
    {
        var key = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(key, Seed);
        BinaryPrimitives.WriteUInt64LittleEndian(key.AsSpan(8), ClientStream);
        var payload = new List<WireTensor>(1 + _instructions.Count) { WireTensor.Raw(KeyName, key) };
        var value = new byte[8];
        foreach (var (name, v) in _instructions)
        {
            BinaryPrimitives.WriteDoubleLittleEndian(value, v);
            payload.Add(WireTensor.Raw(name, value));
        }
        return new Message(Round, Message.Server, Client, MessageKind.Control, payload, MessagePhase.Control);
    }

    /// <summary>
    /// Takes every message waiting for <paramref name="client"/> on <paramref name="transport"/> and keeps those of the
    /// newest round. A turn that failed (the client threw, or its device could not be reached when the server asked it to
    /// work) leaves that round's messages behind; the inbox belongs to the client, which may live in another process
    /// than the server, so the client itself drops them at its next turn.
    /// </summary>
    public static IReadOnlyList<Message> Inbox(ITransport transport, int client)
    {
        ArgumentNullException.ThrowIfNull(transport);
        var inbox = transport.ReceiveAll(client);
        if (inbox.Count == 0) return inbox;
        int newest = inbox.Max(m => m.Round);
        return inbox.All(m => m.Round == newest) ? inbox : inbox.Where(m => m.Round == newest).ToList();
    }

    /// <summary>
    /// The context among the messages <paramref name="client"/> received, or null when there is none (the client was
    /// not asked to work). Throws naming the problem when a context is malformed or addressed to another client.
    /// </summary>
    public static RoundContext? Find(int client, IReadOnlyList<Message> inbox)
    {
        ArgumentNullException.ThrowIfNull(inbox);
        var contexts = inbox.Where(m => m.Kind == MessageKind.Control && m.Phase == MessagePhase.Control && m.Sender == Message.Server).ToList();
        if (contexts.Count == 0) return null;
        if (contexts.Count > 1) throw new ArgumentException($"client {client} received {contexts.Count} round contexts", nameof(inbox));
        var m = contexts[0];
        if (m.Receiver != client) throw new ArgumentException($"client {client} received the context of client {m.Receiver}", nameof(inbox));
        if (m.Payload.Count == 0 || m.Payload[0].Name != KeyName || m.Payload[0].Data.Length != 16)
            throw new ArgumentException($"round {m.Round}: the context of client {client} does not start with a 16-byte key", nameof(inbox));
        var key = m.Payload[0].Data;
        ulong stream = BinaryPrimitives.ReadUInt64LittleEndian(key.AsSpan(8));
        if (stream != ClientStream) throw new ArgumentException($"round {m.Round}: the context of client {client} names stream {stream:X}, not {ClientStream:X}", nameof(inbox));
        var instructions = new List<(string, double)>(m.Payload.Count - 1);
        foreach (var t in m.Payload.Skip(1))
        {
            if (t.Encoding != WireEncoding.Bytes || t.Data.Length != 8)
                throw new ArgumentException($"round {m.Round}: instruction '{t.Name}' of client {client} is not an 8-byte double", nameof(inbox));
            instructions.Add((t.Name, BinaryPrimitives.ReadDoubleLittleEndian(t.Data)));
        }
        return new RoundContext(m.Round, client, BinaryPrimitives.ReadUInt64LittleEndian(key), instructions);
    }
}

/// <summary>Names of the instructions a <see cref="RoundContext"/> carries.</summary>
public static class Instructions
{
    /// <summary>Local epochs (E).</summary>
    public const string Epochs = "epochs";

    /// <summary>Mini-batch size (B).</summary>
    public const string Batch = "batch";

    /// <summary>SGD learning rate (η).</summary>
    public const string Lr = "lr";

    /// <summary>SGD momentum.</summary>
    public const string Momentum = "momentum";

    /// <summary>L2 weight decay.</summary>
    public const string WeightDecay = "weight_decay";

    /// <summary>Nesterov momentum: 1, sent only when on.</summary>
    public const string Nesterov = "nesterov";

    /// <summary>Distillation temperature (FedGKT).</summary>
    public const string Temperature = "temperature";

    /// <summary>Bits of the quantized activations (EcoFed).</summary>
    public const string Bits = "bits";

    /// <summary>One quantization scale per channel: 1, or 0 for one per tensor (EcoFed).</summary>
    public const string PerChannel = "per_channel";
}
