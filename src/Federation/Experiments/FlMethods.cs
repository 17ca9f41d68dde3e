using NanoFed.Federation.Aggregation;
using NanoFed.Federation.Fl;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Experiments;

/// <summary>
/// The one place where a --method name and the run's options become a method's server strategy
/// (<see cref="IFlStrategy"/>) and its client factory.
/// </summary>
public static class FlMethods
{
    /// <summary>
    /// Builds the method <paramref name="config"/> names for models from <paramref name="createModel"/>: its strategy,
    /// the factory of its clients, and a description of the device front it starts from (EcoFed's pre-trained front;
    /// "none" for the other methods).
    /// </summary>
    /// <param name="config">The run's configuration.</param>
    /// <param name="createModel">Builds the run's initial model (the same every call).</param>
    /// <param name="inputShape">One input image's shape (C, H, W).</param>
    /// <param name="classes">Number of classes.</param>
    public static (IFlStrategy Strategy, Func<FlClientData, IFlClient> Clients, string Front) Create(FlConfig config, Func<Sequential> createModel,
        int[] inputShape, int classes)
    {
        ArgumentNullException.ThrowIfNull(config);
        var s = config;
        var schedule = s.LrSchedule();
        var local = new FedAvgOptions(s.LocalEpochs, s.Batch, s.Lr, s.Momentum, s.WeightDecay, s.Nesterov) { Schedule = schedule };
        int split = s.SplitIndex;
        switch (s.Method)
        {
            case "fedavg": return (new FedAvg(createModel, inputShape, local) { Aggregator = Aggregators.Parse(s.Aggregator) }, FedAvgClient.Factory(createModel), "none");
            case "splitfed": return (new SplitFed(createModel, split, inputShape, local), SplitFedClient.Factory(createModel, split), "none");
            case "localloss":
                return (new LocalLoss(createModel, split, inputShape, classes, s.Seed, local), LocalLossClient.Factory(createModel, split, classes), "none");
            case "fedgkt":
                var gkt = new FedGktOptions(s.LocalEpochs, s.Batch, s.Lr, s.Momentum, s.WeightDecay, Nesterov: s.Nesterov) { Schedule = schedule };
                return (new FedGkt(createModel, split, inputShape, classes, s.Seed, gkt), FedGktClient.Factory(createModel, split, classes), "none");
            case "ecofed":
                var front = s.Front is null ? PretrainedFront.None : PretrainedFront.Load(s.Front);
                var eco = new EcoFedOptions(s.LocalEpochs, s.Batch, s.Lr, s.Momentum, s.WeightDecay, s.Bits, s.PerChannel, s.Period, Nesterov: s.Nesterov) { Schedule = schedule };
                return (new EcoFed(createModel, split, inputShape, front, eco) { Aggregator = Aggregators.Parse(s.Aggregator) }, EcoFedClient.Factory(createModel, split, front), front.Description);
            default:
                throw new ArgumentException($"--method: unknown method '{s.Method}' (known: fedavg, splitfed, localloss, fedgkt, ecofed)");
        }
    }
}
