using System.Globalization;

namespace NanoFed.Cli;

/// <summary>The --milestones option of gossip (epochs) and fl (rounds): positive integers, comma-separated.</summary>
internal static class Milestones
{
    /// <summary>The milestones in <paramref name="text"/>; a part that is not a positive integer is refused naming the <paramref name="unit"/>.</summary>
    public static int[] Parse(string text, string unit)
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int m) && m > 0 ? m
            : throw new ArgumentException($"--milestones: '{p}' is not a positive {unit}")).ToArray();
    }
}
