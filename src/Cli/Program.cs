using System.CommandLine;
using NanoFed.Nets;

namespace NanoFed.Cli;

/// <summary>
/// The `nanofed` command line: train, eval, fl, compare, gossip, bench, and a hidden logits command for interop checks. Bad input (a missing
/// or malformed file, a bad option) prints one line on stderr naming the file or option and the fault, and exits
/// with code 2; Ctrl-C stops training between steps with code 130, the last checkpoint intact.
/// </summary>
public static class Program
{
    /// <summary>Exit code for bad input.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code after Ctrl-C.</summary>
    public const int Interrupted = 130;

    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("NanoFed: train and evaluate image classifiers, run and compare federated learning (pure managed C#)");
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(FlCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        root.Subcommands.Add(LogitsCommand.Create());
        root.Subcommands.Add(GossipCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        FiniteOptions.Require(root);
        var parse = root.Parse(args);
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            Console.Error.WriteLine($"nanofed: {parse.Errors[0].Message}");
            return BadInput;
        }
        return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, ProcessTerminationTimeout = null });
    }

    /// <summary>Runs <paramref name="body"/>, turning bad-input exceptions into one stderr line and exit code 2.</summary>
    public static int Guard(Func<int> body)
    {
        try
        {
            return body();
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("nanofed: interrupted; the last checkpoint is intact (continue with --resume)");
            return Interrupted;
        }
        catch (Exception e) when (e is DataFormatException or ArgumentException or IOException or FormatException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"nanofed: {OneLine(e)}");
            return BadInput;
        }
    }

    private static string OneLine(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } p }) message = message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal);
        return message.ReplaceLineEndings(" ");
    }
}
