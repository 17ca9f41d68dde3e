using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace NanoFed.Tests;

/// <summary>Keeps every log line (level, category, message) so tests can assert what a node logged.</summary>
public sealed class CollectingLogger : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public ILoggerFactory Factory => LoggerFactory.Create(b => b.AddProvider(this).SetMinimumLevel(LogLevel.Information));

    public IReadOnlyCollection<string> Lines => _lines;

    public bool Has(params string[] parts) => _lines.Any(line => parts.All(line.Contains));

    public ILogger CreateLogger(string categoryName) => new Sink(this, categoryName);

    public void Dispose()
    {
        // Nothing to release: the lines stay readable after the factory is disposed.
    }

    private sealed class Sink(CollectingLogger owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner._lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)}");
    }
}
