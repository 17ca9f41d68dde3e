using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;

namespace NanoFed.Deploy;

/// <summary>
/// The server process of a federated run: the run's strategy and <see cref="FlRunner"/> over a <see cref="GrpcTransport"/>
/// listening as <see cref="Message.Server"/>, with one <see cref="RemoteClient"/> per device. A device joins with
/// its listener's URL and the hash of its configuration (refused if it differs from the server's), and joins again
/// whenever the server has been silent, so a server restarted on the same address gets its devices back; the server then
/// pushes the round's messages to it, asks it to work in its turn (clients in ascending id, as in the simulation,
/// so split learning's server copies see the same order) and answers its synchronous requests (split methods).
/// </summary>
public sealed class FlServer : IMessageHandler, IDisposable
{
    private readonly ConcurrentDictionary<int, string> _joined = new();
    private readonly byte[] _configHash;
    private readonly ILogger _logger;
    private long _deviceFraming;

    /// <summary>Starts listening for the run of <paramref name="experiment"/> with <paramref name="options"/> (its node id must be the server's).</summary>
    public FlServer(FlExperiment experiment, GrpcTransportOptions options, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(experiment);
        ArgumentNullException.ThrowIfNull(options);
        if (options.NodeId != Message.Server) throw new ArgumentException($"the server's node id is {Message.Server}, not {options.NodeId}", nameof(options));
        Experiment = experiment;
        _configHash = Orchestration.Hash(experiment.Config.ToJson());
        _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<FlServer>();
        var ledger = new TrafficLedger();
        Transport = GrpcTransport.Start(options, ledger, loggers);
        if (experiment.Strategy is IMessageHandler handler) Transport.Register(handler);
        Transport.RegisterOrchestrator(this);
        var devices = new ClientPopulation(experiment.Train, experiment.Partition, experiment.Normalization,
            d => new RemoteClient(d.Id, Transport, ledger, bytes => Interlocked.Add(ref _deviceFraming, bytes)));
        Runner = experiment.Runner(devices, Transport, ledger);
    }

    /// <summary>The run.</summary>
    public FlExperiment Experiment { get; }

    /// <summary>The server's transport.</summary>
    public GrpcTransport Transport { get; }

    /// <summary>The runner: run rounds with it once the devices have joined.</summary>
    public FlRunner Runner { get; }

    /// <summary>gRPC framing bytes of every message in the runner's ledger: the server's own and those its devices reported.</summary>
    public long FramingBytes => Transport.FramingBytes + Interlocked.Read(ref _deviceFraming);

    /// <summary>
    /// Waits until every client of the run has joined, except those the tokens file does not admit (revoked or absent:
    /// they cannot join, and fail their turns like an unreachable device, within the run's quorum); throws
    /// <see cref="TimeoutException"/> naming the missing ones. Messages that reached the server before are dropped:
    /// they can only be the late replies of a round that a killed predecessor (the run this one resumes) never finished.
    /// </summary>
    public void WaitForDevices(TimeSpan timeout, CancellationToken cancel = default)
    {
        var until = DateTime.UtcNow + timeout;
        var clients = Enumerable.Range(0, Experiment.Config.Clients);
        int[] missing;
        while ((missing = clients.Where(c => !_joined.ContainsKey(c) && Transport.Options.Tokens.Admits(c)).ToArray()).Length > 0)
        {
            if (DateTime.UtcNow > until)
                throw new TimeoutException($"clients {string.Join(", ", missing)} did not join within {timeout.TotalSeconds:F0} s");
            cancel.ThrowIfCancellationRequested();
            Thread.Sleep(50);
        }
        if (clients.Where(c => !_joined.ContainsKey(c)).ToArray() is { Length: > 0 } barred)
            _logger.LogWarning("starting without clients {Clients}: the tokens file {Path} does not admit them", string.Join(", ", barred), Transport.Options.Tokens.Path);
        if (Transport.ReceiveAll(Message.Server) is { Count: > 0 } stale)
            _logger.LogWarning("dropped {Count} messages of an unfinished round sent before every device joined", stale.Count);
    }

    /// <summary>Tells every joined device that the run is over (a device that cannot be reached is skipped).</summary>
    public void StopDevices()
    {
        foreach (int c in _joined.Keys.Order())
        {
            try { Transport.Orchestrate(Orchestration.Of(0, Message.Server, c, (Orchestration.Stop, []))); }
            catch (TransportException e) { _logger.LogWarning("client {Client} did not take the stop: {Reason}", c, e.Message); }
        }
    }

    /// <summary>A device's join: its URL becomes its address; a join with another configuration is refused.</summary>
    public Message Handle(Message request)
    {
        ArgumentNullException.ThrowIfNull(request);
        int c = request.Sender;
        if (c < 0 || c >= Experiment.Config.Clients) throw new ArgumentException($"node {c} is not a client of this run (0..{Experiment.Config.Clients - 1})");
        if (!request[Orchestration.ConfigHash].Data.AsSpan().SequenceEqual(_configHash))
            throw new ArgumentException($"client {c} runs another configuration than the server's");
        string url = Orchestration.TextOf(request, Orchestration.Url);
        // Devices join again whenever the server is silent; replacing the channel of a known address would cut the
        // pushes in flight on it.
        if (_joined.TryGetValue(c, out var known) && known == url) return Orchestration.Of(0, Message.Server, c);
        Transport.SetPeer(c, url);
        _joined[c] = url;
        _logger.LogInformation("client {Client} joined from {Url}", c, url);
        return Orchestration.Of(0, Message.Server, c);
    }

    /// <summary>Stops listening.</summary>
    public void Dispose() => Transport.Dispose();
}
