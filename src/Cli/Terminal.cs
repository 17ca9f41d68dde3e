using Spectre.Console;

namespace NanoFed.Cli;

/// <summary>
/// Where the commands decide between Spectre.Console's live display and plain lines: progress bars only on an
/// interactive terminal, since redirected output (a log, CI) would fill with redraws. Text handed to Spectre is markup,
/// so every description set here goes through <see cref="Markup.Escape"/> (a summary such as "[40.96 %, 57.17 %]" is
/// not a style).
/// </summary>
internal static class Terminal
{
    /// <summary>Whether standard output is a terminal Spectre.Console can redraw.</summary>
    public static bool Interactive => !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive;

    /// <summary>A progress display that stays on screen with the given columns after the description, left-aligned.</summary>
    public static Progress Progress(params ProgressColumn[] columns) =>
        AnsiConsole.Progress().AutoClear(false).Columns([new TaskDescriptionColumn { Alignment = Justify.Left }, .. columns]);

    /// <summary>Bar, percentage and remaining time: the columns of a run's epochs or rounds.</summary>
    public static Progress RunProgress() => Progress(new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn());
}
