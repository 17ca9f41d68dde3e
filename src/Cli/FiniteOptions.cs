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
        {
            switch (option)
            {
                case Option<double> d:
                    d.Validators.Add(r => Check(r, r.GetValueOrDefault<double>()));
                    break;
                case Option<double?> d:
                    d.Validators.Add(r => Check(r, r.GetValueOrDefault<double?>() ?? 0));
                    break;
                case Option<float> f:
                    f.Validators.Add(r => Check(r, r.GetValueOrDefault<float>()));
                    break;
                case Option<float?> f:
                    f.Validators.Add(r => Check(r, r.GetValueOrDefault<float?>() ?? 0));
                    break;
            }
        }
        foreach (var sub in command.Subcommands) Require(sub);
    }

    private static void Check(OptionResult result, double value)
    {
        if (!double.IsFinite(value))
            result.AddError(string.Create(CultureInfo.InvariantCulture, $"{result.Option.Name} must be a finite number, got {value}"));
    }
}
