using System.Globalization;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Gossip;
using NanoFed.Nets.Training;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed gossip --tune-gamma [LIST]`: the <see cref="ConsensusTuner"/> sweep for the run's method, graph, compressor
/// and model size, printed one line per γ, then the best one. No data is read and nothing is written.
/// </summary>
internal static class GossipTuning
{
    /// <summary>The γ swept when --tune-gamma has no list.</summary>
    public static readonly float[] DefaultGammas = [1f, 0.5f, 0.2f, 0.1f, 0.05f, 0.02f, 0.01f, 0.005f, 0.002f, 0.001f];

    /// <summary>The γ of a comma-separated --tune-gamma list (each in (0, 1]), or <see cref="DefaultGammas"/> for none.</summary>
    public static float[] ParseGammas(string? text)
    {
        if (string.IsNullOrWhiteSpace(text)) return DefaultGammas;
        return text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => float.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out float g) && g > 0 && g <= 1 ? g
                : throw new ArgumentException($"--tune-gamma: '{p}' is not a consensus step in (0, 1]"))
            .ToArray();
    }

    /// <summary>Runs the sweep of <paramref name="gammas"/> for <paramref name="iterations"/> iterations and prints it; returns the exit code.</summary>
    public static int Run(GossipConfig config, float[] gammas, int iterations)
    {
        if (!config.IsCompressed) throw new ArgumentException($"--tune-gamma: method '{config.Method}' has no consensus step (use {string.Join(", ", GossipMethods.Compressed)})");
        if (iterations < 1) throw new ArgumentException($"--tune-iterations must be positive, got {iterations}");
        var model = ModelCatalog.Create(config.Model, config.Seed, norm: ModelCatalog.ParseNorm(config.Model, config.Norm));
        var layout = new TensorLayout(model.Parameters().Select(p => p.Data.Length).ToArray());
        var topology = GossipGraphs.Create(config.Graph, config.Agents, config.Degree, config.Seed);
        var steps = new AgentSteps(config.Momentum, config.QuasiGlobalMomentum, config.Nesterov, config.UpdateTracking);
        var tuner = new ConsensusTuner(g => GossipMethods.Create(config with { Gamma = g }, topology, layout).Protocol!, layout, iterations, config.Seed, steps);
        Console.WriteLine($"consensus-step sweep: {config.Method} (form {config.Form}, {config.CompressorText}{(config.ConsensusStepRule == "constant" ? "" : $", step {config.ConsensusStepRule}")}" +
            $"{Describe(steps)}) over {config.GraphText}, " +
            $"{config.Agents} agents, d = {layout.Total:N0} ({config.Model}, {layout.Count} tensors), T = {iterations}, seed {config.Seed}; e = (1/n) sum_i |x_i - mean|^2");
        var trials = new List<GammaTrial>();
        foreach (float gamma in gammas)
        {
            var trial = tuner.Trial(gamma);
            trials.Add(trial);
            string verdict = trial.Stable ? "" : trial.Iterations < iterations ? $"  diverged by t = {trial.Iterations}" : "  unstable";
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"gamma {gamma,-7} e(T)/e(0) = {trial.Ratio:0.000e+00}  (e(0) = {trial.InitialError:0.000e+00}){verdict}"));
        }
        var best = ConsensusTuner.Best(trials);
        Console.WriteLine(best is null ? "no stable gamma: try smaller ones" : string.Create(CultureInfo.InvariantCulture, $"best gamma: {best.Gamma} (e(T)/e(0) = {best.Ratio:0.000e+00})"));
        return 0;
    }

    /// <summary>The simulated steps between gossips, as the header names them ("" when they do not move the models).</summary>
    private static string Describe(AgentSteps steps)
    {
        if (!steps.MoveModels) return "";
        string momentum = $"{(steps.Nesterov ? "Nesterov " : "")}{(steps.QuasiGlobal ? "quasi-global" : "local")} momentum {steps.Momentum.ToString(CultureInfo.InvariantCulture)}";
        return steps.UpdateTracking is { } mu ? $", {momentum}, update tracking {mu.ToString(CultureInfo.InvariantCulture)}" : $", {momentum}";
    }
}
