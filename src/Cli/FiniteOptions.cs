using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;

namespace NanoFed.Cli;

/// <summary>
/// Refuses NaN and infinities in every floating-point option of a command tree at parse time, so a value such as
/// `--momentum nan` is named in one line before any command runs (it used to reach the JSON writer of config.json,
/// after the run folder had been created).
/// </summary>
internal static class FiniteOptions
{
    /// <summary>Adds the check to every double and float option (nullable or not) of <paramref name="command"/> and its subcommands.</summary>
    public static void Require(Command command)
    {
        foreach (var option in command.Options)
            if (option is Option<double> or Option<double?> or Option<float> or Option<float?>)
                option.Validators.Add(Check);
        foreach (var sub in command.Subcommands) Require(sub);
    }

    // Reads the tokens, not the typed value: a token that is no number at all is left to the parser's own type error.
    private static void Check(OptionResult result)
    {
        foreach (var token in result.Tokens)
            if (double.TryParse(token.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) && !double.IsFinite(value))
                result.AddError($"{result.Option.Name} must be a finite number, got {token.Value}");
    }
}
