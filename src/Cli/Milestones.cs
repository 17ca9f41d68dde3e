using System.Globalization;

namespace NanoFed.Cli;

/// <summary>The --milestones option of gossip (epochs) and fl (rounds), and gossip's --gossip-every: positive integers, comma-separated.</summary>
internal static class Milestones
{
    /// <summary>The integers in <paramref name="text"/>; a part that is not a positive integer is refused naming <paramref name="option"/> and the <paramref name="unit"/>.</summary>
    public static int[] Parse(string text, string unit, string option = "--milestones")
    {
        var parts = text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        return parts.Select(p => int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out int m) && m > 0 ? m
            : throw new ArgumentException($"{option}: '{p}' is not a positive {unit}")).ToArray();
    }
}
