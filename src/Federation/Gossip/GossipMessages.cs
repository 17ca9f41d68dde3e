using System.Globalization;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Gossip;

/// <summary>
/// The layout of a gossip message on the wire: kind <see cref="MessageKind.Weights"/>, round = iteration t, one tensor
/// per parameter tensor l named by its index ("0", "1", …, shape [n_l]), then, in the protocols with push-sum weights,
/// the weight share as a one-element dense tensor named <see cref="WeightName"/>.
/// </summary>
public static class GossipMessages
{
    /// <summary>The name of the push-sum weight tensor.</summary>
    public const string WeightName = "w";

    private static readonly string[] Names = Enumerable.Range(0, 256).Select(l => l.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The wire name of tensor <paramref name="l"/>: its index in decimal.</summary>
    public static string PartName(int l) => l < Names.Length ? Names[l] : l.ToString(CultureInfo.InvariantCulture);

    /// <summary>A message from <paramref name="i"/> to <paramref name="j"/> at iteration <paramref name="t"/>; <paramref name="weight"/> null sends none.</summary>
    public static Message Create(long t, int i, int j, IReadOnlyList<WireTensor> parts, float? weight)
    {
        ArgumentNullException.ThrowIfNull(parts);
        IReadOnlyList<WireTensor> payload = weight is { } w ? [.. parts, WireTensor.Dense(WeightName, new Shape(1), [w])] : parts;
        return new Message(checked((int)t), i, j, MessageKind.Weights, payload);
    }

    /// <summary>
    /// The per-tensor parts of <paramref name="m"/>, after checking it carries <paramref name="count"/> of them named in
    /// order and, when <paramref name="weighted"/>, the weight tensor last; throws an <see cref="ArgumentException"/> otherwise.
    /// </summary>
    public static ArraySegment<WireTensor> Parts(Message m, int count, bool weighted)
    {
        ArgumentNullException.ThrowIfNull(m);
        int expected = count + (weighted ? 1 : 0);
        if (m.Payload.Count != expected)
            throw new ArgumentException($"gossip message {m.Sender}->{m.Receiver} of round {m.Round} carries {m.Payload.Count} tensors, expected {expected}");
        var all = m.Payload.ToArray();
        for (int l = 0; l < count; l++)
            if (all[l].Name != PartName(l)) throw new ArgumentException($"gossip message {m.Sender}->{m.Receiver}: tensor {l} is named '{all[l].Name}'");
        if (weighted) Weight(m);
        return new ArraySegment<WireTensor>(all, 0, count);
    }

    /// <summary>The push-sum weight share carried by <paramref name="m"/> (its last tensor, one dense value).</summary>
    public static float Weight(Message m)
    {
        ArgumentNullException.ThrowIfNull(m);
        var w = m.Payload.Count > 0 ? m.Payload[^1] : null;
        if (w is null || w.Name != WeightName || w.Encoding != WireEncoding.DenseF32 || w.Values.Length != 1)
            throw new ArgumentException($"gossip message {m.Sender}->{m.Receiver} of round {m.Round} carries no push-sum weight");
        return w.Values[0];
    }

    /// <summary>The inbox of node i at iteration t in increasing sender order, after checking every message is addressed to (i, t).</summary>
    public static IEnumerable<Message> Sorted(IReadOnlyList<Message> inbox, int i, long t)
    {
        ArgumentNullException.ThrowIfNull(inbox);
        foreach (var m in inbox)
            if (m.Receiver != i || m.Round != t) throw new ArgumentException($"message {m.Sender}->{m.Receiver} of round {m.Round} delivered to node {i} at iteration {t}", nameof(inbox));
        return inbox.OrderBy(m => m.Sender);
    }

    /// <summary>Checks that every one of <paramref name="undelivered"/> was sent by node <paramref name="i"/> at iteration <paramref name="t"/>.</summary>
    public static IReadOnlyList<Message> Own(IReadOnlyList<Message> undelivered, int i, long t)
    {
        ArgumentNullException.ThrowIfNull(undelivered);
        foreach (var m in undelivered)
            if (m.Sender != i || m.Round != t) throw new ArgumentException($"undelivered message {m.Sender}->{m.Receiver} of round {m.Round} returned to node {i} at iteration {t}", nameof(undelivered));
        return undelivered;
    }
}
