using NanoFed.Autograd;
using NanoFed.Nets.Data;
using NanoFed.Nets.Optim;

namespace NanoFed.Federation.Fl;

/// <summary>
/// The pieces every method's local training shares: a client's shuffled batches and the SGD of
/// <see cref="FedAvgOptions"/> (a fresh optimizer per round, so its momentum state is reset each round).
/// </summary>
internal static class LocalTraining
{
    /// <summary>
    /// The client's data in shuffled batches of <paramref name="batchSize"/>; the shuffle's Philox key and stream are
    /// the next three words of the client's stream <paramref name="rng"/>, so everything after them differs from the
    /// shuffle's draws.
    /// </summary>
    public static BatchLoader Loader(FlClientData client, RngStream rng, int batchSize)
    {
        uint stream = rng.NextUInt32();
        ulong seed = ((ulong)rng.NextUInt32() << 32) | rng.NextUInt32();
        return new BatchLoader(client.Data, batchSize, client.Normalization, shuffle: true, random: new PhiloxEpochRandom(seed, stream));
    }

    /// <summary>The client data in order (no shuffle): for passes that must address every sample by its index.</summary>
    public static BatchLoader InOrder(FlClientData client, int batchSize) => new(client.Data, batchSize, client.Normalization);

    /// <summary>SGD over <paramref name="parameters"/> with the options' rate, momentum (Nesterov or not) and weight decay.</summary>
    public static Sgd Sgd(IEnumerable<Variable> parameters, FedAvgOptions options) =>
        new(parameters, options.Lr, options.Momentum, weightDecay: options.WeightDecay, nesterov: options.Nesterov);
}
