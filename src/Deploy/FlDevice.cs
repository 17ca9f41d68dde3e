using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using Microsoft.Extensions.Logging;

namespace NanoFed.Deploy;

/// <summary>
/// A device process of a federated run: client <c>Id</c> of the method, built from the run configuration and its
/// seed with only its own partition of the training set (<see cref="FlExperiment.DeviceClient"/>), behind a
/// <see cref="GrpcTransport"/> that listens (port 0 by default) so the server can push the round's messages to it.
/// It joins the server with its URL and its configuration's hash, then works whenever the server says so, until the
/// server says stop.
/// </summary>
public sealed class FlDevice : IMessageHandler, IDisposable
{
    private readonly IFlClient _client;
    private readonly TrafficLedger _ledger = new();
    private readonly ManualResetEventSlim _stopped = new();

    /// <summary>Builds the client of <paramref name="options"/>' node id from <paramref name="config"/> and <paramref name="dataRoot"/>, starts listening and joins the server in <paramref name="options"/>' address book.</summary>
    public FlDevice(FlConfig config, string dataRoot, GrpcTransportOptions options, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Peers.ContainsKey(Message.Server)) throw new ArgumentException("--server: the server's URL is needed", nameof(options));
        _client = FlExperiment.DeviceClient(config, dataRoot, options.NodeId);
        Transport = GrpcTransport.Start(options, _ledger, loggers);
        Transport.RegisterOrchestrator(this);
        try
        {
            Transport.Orchestrate(Orchestration.Of(0, Id, Message.Server,
                (Orchestration.Url, Orchestration.Text(Transport.ListenUrl)), (Orchestration.ConfigHash, Orchestration.Hash(config.Resolve().ToJson()))));
        }
        catch
        {
            Transport.Dispose();
            throw;
        }
    }

    /// <summary>The client id.</summary>
    public int Id => _client.Id;

    /// <summary>The device's transport.</summary>
    public GrpcTransport Transport { get; }

    /// <summary>Blocks until the server says stop or <paramref name="cancel"/> fires.</summary>
    public void WaitForStop(CancellationToken cancel = default) => _stopped.Wait(cancel);

    /// <summary>The server's orders: work (the turn, answered with FLOPs, sent-message ledger entries and framing) or stop.</summary>
    public Message Handle(Message request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Sender != Message.Server) throw new ArgumentException($"only the server gives orders, not node {request.Sender}");
        if (request.Payload.Any(t => t.Name == Orchestration.Stop))
        {
            _stopped.Set();
            return Orchestration.Of(0, Id, Message.Server);
        }
        int first = _ledger.Entries.Count;
        long framing = Transport.FramingBytes;
        double flops = _client.Work(Transport);
        return Orchestration.Of(0, Id, Message.Server, (Orchestration.Flops, Orchestration.Double(flops)),
            (Orchestration.Ledger, LedgerRows.ToBytes(_ledger.Entries.Skip(first))), (Orchestration.Framing, Orchestration.Double(Transport.FramingBytes - framing)));
    }

    /// <summary>Stops listening.</summary>
    public void Dispose()
    {
        Transport.Dispose();
        _stopped.Dispose();
    }
}
