using NanoFed.Federation.Experiments;
using System.CommandLine;
using System.Globalization;
using NanoFed.Threading;

namespace NanoFed.Cli;

/// <summary>
/// `nanofed eval`: accuracy of a run's models on its test sets (<see cref="RunEvaluation"/>): a train checkpoint
/// (--checkpoint) or a run folder of any kind (--run: train's final model, fl's global model, gossip's averaged model
/// and every agent).
/// </summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string?>("--checkpoint") { Description = "A checkpoint written by nanofed train" };
        var run = new Option<string?>("--run") { Description = "A run folder of nanofed train (its final model), fl (the global model) or gossip (the averaged model and every agent)" };
        var data = new Option<string?>("--data") { Description = "Data root (default: where the run read it, else the environment variable NANOFED_DATA)" };
        var testFiles = new Option<string?>("--test-files") { Description = "CIFAR-10 test files, comma-separated (default: those the run evaluated)" };
        var batch = new Option<int>("--batch") { Description = "Evaluation batch size", DefaultValueFactory = _ => 500 };
        var threads = new Option<int?>("--threads") { Description = "Worker threads" };
        var command = new Command("eval", "Evaluate a checkpoint or a run folder's models (eval mode) and print accuracy") { checkpoint, run, data, testFiles, batch, threads };
        command.SetAction(parse => Program.Guard(() =>
        {
            if (parse.GetValue(threads) is { } n)
            {
                if (n is < 1 or > 64) throw new ArgumentException($"--threads must be 1..64, got {n}");
                Workers.Count = n;
            }
            int batchSize = parse.GetValue(batch);
            if (batchSize <= 0) throw new ArgumentException($"--batch must be positive, got {batchSize}");
            string? file = parse.GetValue(checkpoint), folder = parse.GetValue(run);
            if ((file is null) == (folder is null)) throw new ArgumentException("eval needs one of --checkpoint FILE or --run FOLDER");
            var result = file is not null
                ? RunEvaluation.Checkpoint(file, parse.GetValue(data), parse.GetValue(testFiles), batchSize)
                : RunEvaluation.Folder(folder!, parse.GetValue(data), parse.GetValue(testFiles), batchSize);
            Console.WriteLine(result.Description);
            foreach (var m in result.Scores)
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{m.Model}, {m.Test}: accuracy {m.Accuracy:P2} ({m.Accuracy * m.Count:F0}/{m.Count})") +
                    (m.Loss is { } loss ? string.Create(CultureInfo.InvariantCulture, $", loss {loss:F4}") : ""));
            return 0;
        }));
        return command;
    }
}
