using System.CommandLine;

namespace NanoFed.Cli;

/// <summary>The --norm option of the commands that build models (train, gossip, fl); checked by <see cref="Nets.Training.ModelCatalog.ParseNorm"/>.</summary>
internal static class NormOption
{
    /// <summary>A new --norm option, "" (the model's own normalization) by default.</summary>
    public static Option<string> Create() => new("--norm")
    {
        Description = "Normalization after every convolution: batch, group[:G] (GroupNorm, G 2 by default) or evonorm[:G] " +
            "(EvoNorm-S0 in place of norm and ReLU, G 8 by default); default: the model's own",
        DefaultValueFactory = _ => "",
    };
}
