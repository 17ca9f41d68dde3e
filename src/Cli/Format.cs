using System.Globalization;

namespace NanoFed.Cli;

/// <summary>How numbers read in the terminal: the same form in every command's output.</summary>
internal static class Format
{
    /// <summary>A learning rate: plain decimals down to 0.001 (0.1, 0.0125), scientific below (4e-07), never "4E-07".</summary>
    public static string Lr(double lr) =>
        lr != 0 && Math.Abs(lr) < 1e-3
            ? lr.ToString("0.##e+00", CultureInfo.InvariantCulture)
            : lr.ToString("0.######", CultureInfo.InvariantCulture);
}
