using System.CommandLine;
using NanoFed.Autograd;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Training;

namespace NanoFed.Cli;

/// <summary>
/// Hidden `nanofed logits`: eval-mode logits of a checkpoint's model on the tensor "input" (N, C, H, W) of a
/// safetensors file, written as "logits" (N, classes). Used by tests/interop/check_pytorch_load.py.
/// </summary>
internal static class LogitsCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Required = true };
        var input = new Option<string>("--input") { Required = true };
        var output = new Option<string>("--output") { Required = true };
        var command = new Command("logits", "Eval-mode logits of a checkpoint on a safetensors input (interop checks)") { checkpoint, input, output };
        command.Hidden = true;
        command.SetAction(parse => Program.Guard(() =>
        {
            string path = parse.GetValue(checkpoint)!;
            var saved = TrainingCheckpoint.Read(path);
            var model = ModelCatalog.Create(saved.Config.Model, saved.Config.Seed, norm: ModelCatalog.ParseNorm(saved.Config.Model, saved.Config.Norm));
            saved.LoadModel(model, path);
            model.Eval();
            string inputPath = parse.GetValue(input)!;
            var (tensors, _) = SafeTensors.Read(inputPath);
            if (!tensors.TryGetValue("input", out var x)) throw new Nets.DataFormatException(inputPath, "no tensor named \"input\"");
            var tape = new Tape();
            using (tape.NoGrad())
            {
                var logits = model.Forward(tape, new Variable(x));
                SafeTensors.Write(parse.GetValue(output)!, [("logits", logits.Data)]);
            }
            tape.Reset();
            return 0;
        }));
        return command;
    }
}
