using NanoFed.Federation.Fl;
using NanoFed.Nets.Modules;

namespace NanoFed.Cli;

/// <summary>The one place where a --method name and the run's options become an <see cref="IFlMethod"/>.</summary>
internal static class FlMethods
{
    /// <summary>
    /// Builds the method <paramref name="settings"/> names for models from <paramref name="createModel"/>; returns it with
    /// a description of the device front it starts from (EcoFed's pre-trained front; "none" for the other methods).
    /// </summary>
    public static (IFlMethod Method, string Front) Create(FlSettings settings, Func<Sequential> createModel, int[] inputShape, int classes)
    {
        var s = settings;
        var local = new FedAvgOptions(s.LocalEpochs, s.Batch, s.Lr, s.Momentum, s.WeightDecay);
        switch (s.Method)
        {
            case "fedavg": return (new FedAvg(createModel, inputShape, local), "none");
            case "splitfed": return (new SplitFed(createModel, s.SplitIndex, inputShape, local), "none");
            case "localloss": return (new LocalLoss(createModel, s.SplitIndex, inputShape, classes, s.Seed, local), "none");
            case "fedgkt":
                var gkt = new FedGktOptions(s.LocalEpochs, s.Batch, s.Lr, s.Momentum, s.WeightDecay);
                return (new FedGkt(createModel, s.SplitIndex, inputShape, classes, s.Seed, gkt), "none");
            case "ecofed":
                var front = s.Front is null ? PretrainedFront.None : PretrainedFront.Load(s.Front);
                var eco = new EcoFedOptions(s.LocalEpochs, s.Batch, s.Lr, s.Momentum, s.WeightDecay, s.Bits, s.PerChannel, s.Period);
                return (new EcoFed(createModel, s.SplitIndex, inputShape, front, eco), front.Description);
            default:
                throw new ArgumentException($"--method: unknown method '{s.Method}' (known: fedavg, splitfed, localloss, fedgkt, ecofed)");
        }
    }
}
