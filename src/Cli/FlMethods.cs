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
        var local = new FedAvgOptions(settings.LocalEpochs, settings.Batch, settings.Lr, settings.Momentum, settings.WeightDecay);
        return settings.Method switch
        {
            "fedavg" => (new FedAvg(createModel, inputShape, local), "none"),
            _ => throw new ArgumentException($"--method {settings.Method} is not available in this build (known here: fedavg)"),
        };
    }
}
