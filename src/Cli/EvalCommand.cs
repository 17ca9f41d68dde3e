using NanoFed.Federation.Experiments;
using System.CommandLine;
using System.Globalization;
using NanoFed.Nets.Training;
using NanoFed.Threading;

namespace NanoFed.Cli;

/// <summary>`nanofed eval`: accuracy and loss of a checkpoint on its dataset's test sets.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "A checkpoint written by nanofed train", Required = true };
        var data = new Option<string?>("--data") { Description = "Data root (default: environment variable NANOFED_DATA)" };
        var testFiles = new Option<string?>("--test-files") { Description = "CIFAR-10 test files, comma-separated (default: those the run evaluated)" };
        var batch = new Option<int>("--batch") { Description = "Evaluation batch size", DefaultValueFactory = _ => 500 };
        var threads = new Option<int?>("--threads") { Description = "Worker threads" };
        var command = new Command("eval", "Evaluate a checkpoint (eval mode) and print accuracy") { checkpoint, data, testFiles, batch, threads };
        command.SetAction(parse => Program.Guard(() =>
        {
            if (parse.GetValue(threads) is { } n)
            {
                if (n is < 1 or > 64) throw new ArgumentException($"--threads must be 1..64, got {n}");
                Workers.Count = n;
            }
            int batchSize = parse.GetValue(batch);
            if (batchSize <= 0) throw new ArgumentException($"--batch must be positive, got {batchSize}");
            string path = parse.GetValue(checkpoint)!;
            var saved = TrainingCheckpoint.Read(path);
            var model = ModelCatalog.Create(saved.Config.Model, saved.Config.Seed, norm: ModelCatalog.ParseNorm(saved.Config.Model, saved.Config.Norm));
            saved.LoadModel(model, path);
            var tests = ExperimentData.Tests(saved.Config.Dataset, ExperimentData.Root(parse.GetValue(data)),
                parse.GetValue(testFiles) ?? saved.Config.TestFiles);
            var normalization = DatasetCatalog.NormalizationOf(saved.Config.Dataset);
            Console.WriteLine($"{path}: {saved.Config.Model} on {saved.Config.Dataset}, epoch {saved.Epoch}, step {saved.GlobalStep}");
            foreach (var (name, set) in tests)
            {
                var m = Evaluator.Evaluate(model, set, normalization, name, batchSize);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{name}: accuracy {m.Accuracy:P2} ({m.Accuracy * m.Count:F0}/{m.Count}), loss {m.Loss:F4}"));
            }
            return 0;
        }));
        return command;
    }
}
