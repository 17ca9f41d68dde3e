using Microsoft.Extensions.Logging;

namespace NanoFed.Cli;

/// <summary>
/// Where the processes of a deployment (server, device, peer) log: standard error, one line per entry, warnings and
/// up, so that a refused caller, a rejected message or an unreachable node leaves its reason in the process's log
/// while standard output keeps the run's progress lines.
/// </summary>
internal static class NodeLogging
{
    public static ILoggerFactory Create() =>
        LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace)
            .AddSimpleConsole(o => o.SingleLine = true).SetMinimumLevel(LogLevel.Warning));
}
