using Grpc.Core;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace NanoFed.Deploy;

/// <summary>
/// A device process of a federated run: client <c>Id</c> of the method, built from the run configuration and its
/// seed with only its own partition of the training set (<see cref="FlExperiment.DeviceClient(FlConfig, string, int)"/>), behind a
/// <see cref="GrpcTransport"/> that listens (port 0 by default) so the server can push the round's messages to it.
/// <see cref="Run"/> joins the server with its URL and its configuration's hash, then works whenever the server says
/// so, until the server says stop. A device keeps in touch: whenever the server has given it no order for
/// <see cref="RejoinInterval"/> it joins again, which a live server takes as a no-op and a restarted server
/// (<c>nanofed server --resume</c>) as the device's join, so the devices of a killed server rejoin its successor.
/// </summary>
public sealed class FlDevice : IMessageHandler, IDisposable
{
    /// <summary>How long a device waits without an order before it joins again (and between attempts while the server does not answer).</summary>
    public static readonly TimeSpan RejoinInterval = TimeSpan.FromSeconds(1);

    private readonly IFlClient _client;
    private readonly TrafficLedger _ledger = new();
    private readonly ManualResetEventSlim _stopped = new();
    private readonly Message _join;
    private readonly ILogger _logger;
    private long _lastOrder = Environment.TickCount64;
    private int _busy;

    /// <summary>Builds the client of <paramref name="options"/>' node id from <paramref name="config"/> and <paramref name="dataRoot"/> and starts listening; <see cref="Run"/> joins the server in <paramref name="options"/>' address book.</summary>
    public FlDevice(FlConfig config, string dataRoot, GrpcTransportOptions options, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        if (!options.Peers.ContainsKey(Message.Server)) throw new ArgumentException("--server: the server's URL is needed", nameof(options));
        _client = FlExperiment.DeviceClient(config, dataRoot, options.NodeId);
        _logger = (loggers ?? NullLoggerFactory.Instance).CreateLogger<FlDevice>();
        Transport = GrpcTransport.Start(options, _ledger, loggers);
        Transport.RegisterOrchestrator(this);
        _join = Orchestration.Of(0, Id, Message.Server,
            (Orchestration.Url, Orchestration.Text(Transport.ListenUrl)), (Orchestration.ConfigHash, Orchestration.Hash(config.Resolve().ToJson())));
    }

    /// <summary>The client id.</summary>
    public int Id => _client.Id;

    /// <summary>The device's transport.</summary>
    public GrpcTransport Transport { get; }

    /// <summary>
    /// Joins the server and serves it until it says stop or <paramref name="cancel"/> fires, joining again whenever it
    /// has been silent for <see cref="RejoinInterval"/>. Throws <see cref="TimeoutException"/> when no join has been
    /// answered for <paramref name="patience"/> (the server is gone and no successor came), and
    /// <see cref="TransportException"/> when the server refuses the join (another configuration, an unknown token).
    /// </summary>
    public void Run(TimeSpan patience, CancellationToken cancel = default)
    {
        DateTime? lostSince = DateTime.UtcNow;
        bool everJoined = false;
        do
        {
            if (Volatile.Read(ref _busy) > 0) continue;
            if (lostSince is null && Environment.TickCount64 - Interlocked.Read(ref _lastOrder) < RejoinInterval.TotalMilliseconds) continue;
            // After a join went unanswered the inbox may hold the pushes of a round the lost server never finished; its
            // successor pushes that round again, and two copies would fail the turn.
            if (lostSince is not null) Transport.ReceiveAll(Id);
            if (TryJoin(out string reason))
            {
                if (lostSince is not null) _logger.LogInformation("client {Client} {Joined} the server", Id, everJoined ? "rejoined" : "joined");
                lostSince = null;
                everJoined = true;
                Interlocked.Exchange(ref _lastOrder, Environment.TickCount64);
                continue;
            }
            lostSince ??= DateTime.UtcNow;
            if (DateTime.UtcNow - lostSince > patience)
                throw new TimeoutException($"client {Id}: the server has not answered a join for {patience.TotalSeconds:F0} s: {reason}");
        }
        while (!_stopped.Wait(RejoinInterval, cancel));
    }

    private bool TryJoin(out string reason)
    {
        try
        {
            Transport.Orchestrate(_join);
            reason = "";
            return true;
        }
        // A server that answers and refuses (another configuration, a token it does not know) will not change its mind.
        catch (TransportException e) when (e.InnerException is not RpcException { StatusCode: StatusCode.Internal or StatusCode.PermissionDenied or StatusCode.Unauthenticated })
        {
            reason = e.Message;
            return false;
        }
    }

    /// <summary>The server's orders: work (the turn, answered with FLOPs, sent-message ledger entries and framing) or stop.</summary>
    public Message Handle(Message request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (request.Sender != Message.Server) throw new ArgumentException($"only the server gives orders, not node {request.Sender}");
        Interlocked.Increment(ref _busy);
        try
        {
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
        finally
        {
            Interlocked.Exchange(ref _lastOrder, Environment.TickCount64);
            Interlocked.Decrement(ref _busy);
        }
    }

    /// <summary>Stops listening.</summary>
    public void Dispose()
    {
        Transport.Dispose();
        _stopped.Dispose();
    }
}
