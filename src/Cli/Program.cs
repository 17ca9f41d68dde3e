using System.CommandLine;
using NanoFed.Nets;

namespace NanoFed.Cli;

/// <summary>
/// The `nanofed` command line: train, eval, fl, compare, gossip, bench, and a hidden logits command for interop checks. Bad input (a missing
/// or malformed file, a bad option) prints one line on stderr naming the file or option and the fault, and exits
/// with code 2; a diverging run (a non-finite loss or weight) stops with one line and code 3, the last checkpoint holding the last
/// good state; a federated round that misses its quorum stops the run with one line and code 4; Ctrl-C stops training
/// between steps with code 130, the last checkpoint intact.
/// </summary>
public static class Program
{
    /// <summary>Exit code for bad input.</summary>
    public const int BadInput = 2;

    /// <summary>Exit code when training diverged (a non-finite loss or weight).</summary>
    public const int Diverged = 3;

    /// <summary>Exit code when a federated round missed its quorum (too few sampled clients answered).</summary>
    public const int QuorumMissed = 4;

    /// <summary>Exit code after Ctrl-C.</summary>
    public const int Interrupted = 130;

    /// <summary>Entry point.</summary>
    public static int Main(string[] args)
    {
        var root = new RootCommand("NanoFed: train image classifiers, run federated and decentralized training, compare and evaluate runs (pure managed C#)");
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(FlCommand.Create());
        root.Subcommands.Add(ServerCommand.Create());
        root.Subcommands.Add(DeviceCommand.Create());
        root.Subcommands.Add(CompareCommand.Create());
        root.Subcommands.Add(ReportCommand.Create());
        root.Subcommands.Add(LogitsCommand.Create());
        root.Subcommands.Add(GossipCommand.Create());
        root.Subcommands.Add(PeerCommand.Create());
        root.Subcommands.Add(ClusterRuns.Silo());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(DataCommand.Create());
        FiniteOptions.Require(root);
        // A bare `nanofed` shows what it can do, as git and dotnet do.
        var parse = root.Parse(args.Length == 0 ? ["--help"] : args);
        if (parse.Errors.Count > 0 && parse.Action is not System.CommandLine.Help.HelpAction)
        {
            Console.Error.WriteLine($"nanofed: {ParseError(parse.Errors[0].Message)}");
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
        catch (Nets.Training.DivergenceException e)
        {
            Console.Error.WriteLine($"nanofed: {e.Message}");
            return Diverged;
        }
        catch (Federation.Fl.QuorumException e)
        {
            Console.Error.WriteLine($"nanofed: {e.Message.ReplaceLineEndings(" ")}");
            return QuorumMissed;
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine("nanofed: interrupted; the last checkpoint is intact (continue with --resume)");
            return Interrupted;
        }
        catch (Exception e) when (e is DataFormatException or ArgumentException or IOException or FormatException or UnauthorizedAccessException
            or Federation.Transport.TransportException or TimeoutException or System.Security.Cryptography.CryptographicException)
        {
            Console.Error.WriteLine($"nanofed: {OneLine(e)}");
            return BadInput;
        }
    }

    /// <summary>System.CommandLine's type error ("Cannot parse argument 'x' for option '--lr' as expected type
    /// 'System.Double'") in the words of the rest of the CLI: the option first, then what it needs.</summary>
    private static string ParseError(string message)
    {
        var m = System.Text.RegularExpressions.Regex.Match(message, @"^Cannot parse argument '(?<value>.*)' for (option|argument) '(?<option>[^']*)' as expected type '(?<type>[^']*)'");
        if (!m.Success) return message;
        // A nullable option names its type as System.Nullable`1[System.Double].
        var type = System.Text.RegularExpressions.Regex.Match(m.Groups["type"].Value, @"^System\.Nullable`1\[\[?(?<inner>[^,\]]+)");
        string need = (type.Success ? type.Groups["inner"].Value : m.Groups["type"].Value) switch
        {
            "System.Double" or "System.Single" => "a number",
            "System.Int32" or "System.Int64" or "System.UInt64" => "an integer",
            _ => "a value of another form",
        };
        return $"{m.Groups["option"].Value}: '{m.Groups["value"].Value}' is not {need}";
    }

    private static string OneLine(Exception e)
    {
        string message = e.Message;
        if (e is ArgumentException { ParamName: { } p }) message = message.Replace($" (Parameter '{p}')", "", StringComparison.Ordinal);
        return message.ReplaceLineEndings(" ");
    }
}
