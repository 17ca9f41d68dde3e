using NanoFed.Federation.Aggregation;
using NanoFed.Federation.Transport;

namespace NanoFed.Federation.Fl;

/// <summary>
/// Model state up and averaged: a client's reply carries its state dict densely plus its sample count n_k
/// (<see cref="FedAvg.SampleCountName"/>), and the server sets the destination to Σ_k (n_k / n) state_k.
/// </summary>
internal static class ModelExchange
{
    /// <summary>
    /// Round start: for each sampled client its <see cref="RoundContext"/> with <paramref name="instructions"/>, then one
    /// dense Weights message with <paramref name="state"/>.
    /// </summary>
    public static IReadOnlyList<Message> Broadcast(FlRound round, IReadOnlyList<(string Name, double Value)> instructions,
        IEnumerable<(string Name, Tensor Value)> state)
    {
        ArgumentNullException.ThrowIfNull(round);
        var payload = WireTensor.DenseAll(state);
        var messages = new List<Message>(2 * round.Clients.Count);
        foreach (int c in round.Clients)
        {
            messages.Add(new RoundContext(round.Round, c, round.Seed, instructions).ToMessage());
            messages.Add(new Message(round.Round, Message.Server, c, MessageKind.Weights, payload));
        }
        return messages;
    }

    /// <summary>Decodes the Weights message of <paramref name="client"/>'s inbox into <paramref name="destination"/>.</summary>
    public static void Receive(int round, int client, IReadOnlyList<Message> inbox, IReadOnlyList<(string Name, Tensor Value)> destination)
    {
        ArgumentNullException.ThrowIfNull(inbox);
        var weights = inbox.SingleOrDefault(m => m.Kind == MessageKind.Weights)
            ?? throw new ArgumentException($"client {client} received no weights in round {round}", nameof(inbox));
        weights.DecodeInto(destination);
    }

    /// <summary>A Weights message from <paramref name="client"/> with <paramref name="state"/> and the sample count.</summary>
    public static Message Reply(int round, int client, IEnumerable<(string Name, Tensor Value)> state, int samples)
    {
        var payload = WireTensor.DenseAll(state).ToList();
        payload.Add(WireTensor.Dense(FedAvg.SampleCountName, new Shape(1), [samples]));
        return new Message(round, client, Message.Server, MessageKind.Weights, payload);
    }

    /// <summary>The sample count a <see cref="Reply"/> carries.</summary>
    public static double SampleCount(Message reply) => reply[FedAvg.SampleCountName].ToArray()[0];

    /// <summary>
    /// Writes the aggregate of the Weights replies (in ascending sender order, so the order is fixed) by
    /// <paramref name="aggregator"/>, weighted by sample count where the rule weighs, into <paramref name="destination"/>,
    /// which holds the current global model on entry; returns how many replies were aggregated.
    /// </summary>
    public static int AverageInto(int round, IReadOnlyList<Message> replies, IReadOnlyList<(string Name, Tensor Value)> destination, IAggregator aggregator)
    {
        ArgumentNullException.ThrowIfNull(replies);
        var weights = replies.Where(m => m.Kind == MessageKind.Weights).OrderBy(m => m.Sender).ToList();
        if (weights.Count == 0) throw new ArgumentException($"no client weights to aggregate in round {round}", nameof(replies));
        var clients = new List<IReadOnlyList<(string Name, Tensor Value)>>(weights.Count);
        var counts = new double[weights.Count];
        for (int c = 0; c < weights.Count; c++)
        {
            var m = weights[c];
            counts[c] = SampleCount(m);
            var list = new List<(string Name, Tensor Value)>(destination.Count);
            foreach (var (name, value) in destination)
            {
                // Dense tensors are averaged from the received values in place: a copy per client would double the
                // memory of a round (K whole models) for nothing.
                var wire = m[name];
                var values = wire.Encoding == WireEncoding.DenseF32 && wire.Values.Length == value.Length ? wire.Values : wire.ToArray();
                list.Add((name, Tensor.FromArray(values, value.Shape)));
            }
            clients.Add(list);
        }
        aggregator.Aggregate(clients, counts, destination);
        return weights.Count;
    }
}
