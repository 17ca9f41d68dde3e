using NanoFed.Federation.Fl;
using NanoFed.Nets.Training;

namespace NanoFed.Federation.Experiments;

/// <summary>One model of a run scored on one test set.</summary>
/// <param name="Model">Which model: "model" (train), "global model" (fl), "averaged model" or "agent i" (gossip).</param>
/// <param name="Test">The test set's name.</param>
/// <param name="Accuracy">Accuracy in [0, 1].</param>
/// <param name="Count">Images in the test set.</param>
/// <param name="Loss">Mean cross-entropy, where the evaluation computes it (train and fl), else null.</param>
public sealed record ModelScore(string Model, string Test, double Accuracy, int Count, double? Loss);

/// <summary>What a run's models score, and a line saying what was evaluated.</summary>
/// <param name="Description">The run or checkpoint, its model and data, and how far it had trained.</param>
/// <param name="Scores">Every evaluated model on every test set.</param>
public sealed record RunScores(string Description, IReadOnlyList<ModelScore> Scores);

/// <summary>
/// Scores the models a run left, in eval mode, for `nanofed eval`: a train checkpoint's model; a train run folder's final
/// checkpoint (else its last); an fl run folder's global model at its checkpoint; a gossip run folder's averaged model
/// and every agent at its checkpoint. Test sets are the run's unless <c>testFiles</c> names others (CIFAR-10).
/// </summary>
public static class RunEvaluation
{
    /// <summary>Scores the run in <paramref name="folder"/> (any kind); its data is under <paramref name="data"/>, else where the run recorded it.</summary>
    public static RunScores Folder(string folder, string? data, string? testFiles, int batch)
    {
        var kind = RunRecord.Read(folder).Kind;
        string config = Path.Combine(folder, "config.json");
        switch (kind)
        {
            case RunKind.Train:
                string final = Path.Combine(folder, "final.safetensors"), last = Path.Combine(folder, "last.safetensors");
                string path = File.Exists(final) ? final : File.Exists(last) ? last : throw new ArgumentException($"{folder}: no checkpoint (final.safetensors or last.safetensors)");
                return Checkpoint(path, data, testFiles, batch);
            case RunKind.Federated:
                return Federated(folder, FlConfig.Read(config), ExperimentData.Root(data ?? ExperimentData.RecordedRoot(folder)), testFiles);
            default:
                return Decentralized(folder, GossipConfig.Read(config), ExperimentData.Root(data ?? ExperimentData.RecordedRoot(folder)), testFiles, batch);
        }
    }

    /// <summary>Scores the model of a `nanofed train` checkpoint; its data is under <paramref name="data"/>, else where the run recorded it.</summary>
    public static RunScores Checkpoint(string path, string? data, string? testFiles, int batch)
    {
        var saved = TrainingCheckpoint.Read(path);
        var config = saved.Config;
        var model = ModelCatalog.Create(config.Model, config.Seed, norm: ModelCatalog.ParseNorm(config.Model, config.Norm));
        saved.LoadModel(model, path);
        var tests = ExperimentData.Tests(config.Dataset, ExperimentData.Root(data ?? (config.Data.Length > 0 ? config.Data : null)), testFiles ?? config.TestFiles);
        var normalization = DatasetCatalog.NormalizationOf(config.Dataset);
        var scores = tests.Select(t => Evaluator.Evaluate(model, t.Data, normalization, t.Name, batch))
            .Select(m => new ModelScore("model", m.Name, m.Accuracy, m.Count, m.Loss)).ToList();
        return new RunScores($"{path}: {config.Model} on {config.Dataset}, epoch {saved.Epoch}, step {saved.GlobalStep}", scores);
    }

    private static RunScores Federated(string folder, FlConfig config, string root, string? testFiles)
    {
        var experiment = FlExperiment.Load(config, root);
        var runner = experiment.Simulation();
        string checkpoint = Path.Combine(folder, FlCheckpoint.FileName);
        if (!File.Exists(checkpoint)) throw new ArgumentException($"{folder}: no checkpoint {checkpoint}");
        int round = FlCheckpoint.Restore(runner, checkpoint);
        var tests = testFiles is null ? experiment.Tests : ExperimentData.Tests(experiment.Config.ResolvedDataset, root, testFiles);
        var scores = tests.Select(t => runner.Strategy.Evaluate(round, t.Name, t.Data, experiment.Normalization))
            .Select(m => new ModelScore("global model", m.Name, m.Accuracy, m.Count, m.Loss)).ToList();
        return new RunScores($"{folder}: {runner.Strategy.Name} on {experiment.Config.Model} ({experiment.Config.ResolvedDataset}), global model after round {round} of {config.Rounds}", scores);
    }

    private static RunScores Decentralized(string folder, GossipConfig config, string root, string? testFiles, int batch)
    {
        if (testFiles is not null) config = config with { TestFiles = testFiles };
        using var experiment = GossipExperiment.Create(config, root, folder);
        experiment.Resume();
        experiment.Runner.EvalBatchSize = batch;
        var scores = new List<ModelScore>();
        foreach (var t in experiment.Runner.EvaluateEach())
        {
            scores.Add(new ModelScore("averaged model", t.Name, t.AveragedAccuracy, t.Count, null));
            scores.AddRange(t.Agents.Select((a, i) => new ModelScore($"agent {i}", t.Name, a, t.Count, null)));
        }
        return new RunScores($"{folder}: {config.Method} over {config.Graph}, {config.Agents} agents of {config.Model} ({config.Dataset}), " +
            $"the averaged model and each agent after epoch {experiment.Runner.CompletedEpochs} of {config.Epochs}", scores);
    }
}
