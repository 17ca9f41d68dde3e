using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using Grpc.Core;
using Grpc.Net.Client;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using NanoFed.Deploy.Rpc;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;

namespace NanoFed.Deploy;

/// <summary>
/// The transport of one node over gRPC. It listens (Kestrel, HTTP/2 over TLS) with a service that puts the messages
/// sent to this node in its inbox and answers the <see cref="Call"/>s addressed to it with its registered
/// <see cref="IMessageHandler"/>; it sends to other nodes through one reused gRPC channel per peer, found in an
/// address book (node id → URL). A message travels as its <see cref="WireFormat"/> bytes, in chunks
/// (<see cref="GrpcFraming"/>), and is validated by the receiver's <see cref="MessageSchema"/> before use. Every
/// call presents this node's token and has a deadline: a receiver that is unreachable, stalls or refuses makes
/// <see cref="Send"/> return false (or <see cref="Call"/> throw <see cref="TransportException"/>) within it, with a
/// one-line reason logged. <see cref="Send"/> returns once the receiver has validated and queued the message, so
/// one sender's messages arrive in order.
/// The ledger records each message this node sends (its requests and pushes, and the replies its handler
/// returns) with its WireFormat size once it is delivered; summed over the nodes that is what the in-process
/// simulation's one ledger records. The gRPC framing is counted apart in <see cref="FramingBytes"/>. The ledger is
/// written under a lock from the listener's threads too: read it when no call is in flight.
/// </summary>
public sealed class GrpcTransport : ITransport, IDisposable, IAsyncDisposable
{
    private readonly ConcurrentQueue<Message> _inbox = new();
    private readonly ConcurrentDictionary<int, Peer> _peers = new();
    private readonly Lock _ledgerLock = new();
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly RemoteCertificateValidationCallback _trust;
    private WebApplication? _host;
    private volatile IMessageHandler? _handler;
    private volatile IMessageHandler? _orchestrator;
    private long _framingBytes;

    private sealed record Peer(Uri Url, GrpcChannel Channel, NodeTransport.NodeTransportClient Client);

    private GrpcTransport(GrpcTransportOptions options, TrafficLedger ledger, ILoggerFactory loggers)
    {
        Options = options;
        Ledger = ledger;
        _loggers = loggers;
        _logger = loggers.CreateLogger<GrpcTransport>();
        _trust = TlsCertificates.TrustOnly(options.TrustedCertificates);
        ListenUrl = options.ListenUrl;
    }

    /// <summary>
    /// Starts the listener of node <see cref="GrpcTransportOptions.NodeId"/> and returns its transport; messages it
    /// sends are recorded in <paramref name="ledger"/>, and what it logs goes to <paramref name="loggers"/>.
    /// Throws <see cref="ArgumentException"/> naming an invalid option, or <see cref="IOException"/> if the address
    /// cannot be bound.
    /// </summary>
    public static GrpcTransport Start(GrpcTransportOptions options, TrafficLedger ledger, ILoggerFactory? loggers = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(ledger);
        options.Validate();
        var transport = new GrpcTransport(options, ledger, loggers ?? NullLoggerFactory.Instance);
        foreach (var (node, url) in options.Peers) transport.SetPeer(node, url);
        transport.Listen();
        return transport;
    }

    /// <summary>This node's id.</summary>
    public int NodeId => Options.NodeId;

    /// <summary>The options the transport was started with.</summary>
    public GrpcTransportOptions Options { get; }

    /// <summary>The URL the listener is bound to, with the port it really got (when 0 was asked for).</summary>
    public string ListenUrl { get; private set; }

    /// <summary>The ledger the messages this node sends are recorded in.</summary>
    public TrafficLedger Ledger { get; }

    /// <summary>gRPC and protobuf framing bytes of the messages recorded in <see cref="Ledger"/> (<see cref="GrpcFraming"/>).</summary>
    public long FramingBytes => Interlocked.Read(ref _framingBytes);

    /// <summary>Makes <paramref name="handler"/> answer the calls addressed to this node.</summary>
    public void Register(IMessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (Interlocked.CompareExchange(ref _handler, handler, null) != null) throw new InvalidOperationException($"node {NodeId} already has a handler");
    }

    /// <summary>Makes <paramref name="handler"/> answer the orchestration calls addressed to this node (<see cref="Orchestrate"/>).</summary>
    public void RegisterOrchestrator(IMessageHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        if (Interlocked.CompareExchange(ref _orchestrator, handler, null) != null) throw new InvalidOperationException($"node {NodeId} already has an orchestrator");
    }

    /// <summary>
    /// A synchronous exchange that drives the processes (join, "work now", stop) instead of carrying a method's data: as
    /// <see cref="Call"/>, with the same checks and deadline, but recorded in no ledger, since the in-process
    /// simulation makes the same step as a function call. Throws <see cref="TransportException"/> with the reason.
    /// </summary>
    public Message Orchestrate(Message request)
    {
        var bytes = SerializeOwn(request);
        byte[] replyBytes;
        try { (replyBytes, _) = Task.Run(() => ExchangeAsync(request.Receiver, bytes, orchestrate: true)).GetAwaiter().GetResult(); }
        catch (Exception e) when (e is RpcException or MessageRejectedException or TransportException)
        {
            string reason = e is RpcException r ? Describe(r) : e.Message;
            throw new TransportException($"orchestration call to node {request.Receiver} failed: {reason}", e);
        }
        if (!Options.Schema.Accepts(replyBytes, out var reply, out var rejected) || reply!.Sender != request.Receiver || reply.Receiver != NodeId)
            throw new TransportException($"orchestration call to node {request.Receiver} failed: reply rejected {rejected}");
        return reply;
    }

    /// <summary>Sets (or replaces) the address of <paramref name="node"/>'s listener, an https URL.</summary>
    public void SetPeer(int node, string url)
    {
        var uri = GrpcTransportOptions.ParseHttps(url, nameof(url));
        var handler = new SocketsHttpHandler
        {
            SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = _trust },
            // Longer than the deadline so the call's own DeadlineExceeded is what a stalled handshake reports, yet bounded
            // so a connection attempt left behind by a call that timed out does not hang forever.
            ConnectTimeout = 2 * Options.Deadline,
            EnableMultipleHttp2Connections = true,
            PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
        };
        var channel = GrpcChannel.ForAddress(uri, new GrpcChannelOptions
        {
            HttpHandler = handler, DisposeHttpClient = true, LoggerFactory = _loggers,
            // After refused connections the channel waits before trying again, growing to 2 minutes by default: a peer
            // that starts late or comes back after an outage would stay unreachable that long. One second at most.
            MaxReconnectBackoff = TimeSpan.FromSeconds(1),
        });
        var peer = new Peer(uri, channel, new NodeTransport.NodeTransportClient(channel));
        Peer? old = null;
        _peers.AddOrUpdate(node, peer, (_, previous) => { old = previous; return peer; });
        old?.Channel.Dispose();
    }

    /// <inheritdoc/>
    public bool Send(Message message)
    {
        var bytes = SerializeOwn(message);
        if (!TryPush(message.Receiver, bytes, out long framing, out string reason))
        {
            _logger.LogWarning("node {Node} could not send {Message}: {Reason}", NodeId, message, reason);
            return false;
        }
        RecordSent(message, bytes.Length, framing);
        return true;
    }

    /// <inheritdoc/>
    public Message Call(Message request)
    {
        var bytes = SerializeOwn(request);
        byte[] replyBytes;
        long framing;
        try { (replyBytes, framing) = Task.Run(() => ExchangeAsync(request.Receiver, bytes, orchestrate: false)).GetAwaiter().GetResult(); }
        catch (Exception e) when (e is RpcException or MessageRejectedException or TransportException)
        {
            string reason = e is RpcException r ? Describe(r) : e.Message;
            _logger.LogWarning("node {Node} call {Message} failed: {Reason}", NodeId, request, reason);
            throw new TransportException($"call to node {request.Receiver} failed: {reason}", e);
        }
        RecordSent(request, bytes.Length, framing);
        if (!Options.Schema.Accepts(replyBytes, out var reply, out var rejected)) rejected = $"reply rejected: {rejected}";
        else if (reply!.Sender != request.Receiver || reply.Receiver != NodeId) rejected = $"reply {reply} does not answer {request}";
        if (reply is null || rejected.Length > 0)
        {
            LogRejected(request.Receiver, rejected);
            throw new TransportException($"call to node {request.Receiver} failed: {rejected}");
        }
        return reply;
    }

    /// <inheritdoc/>
    public bool TryReceive(int node, out Message? message)
    {
        RequireSelf(node);
        return _inbox.TryDequeue(out message);
    }

    /// <inheritdoc/>
    public IReadOnlyList<Message> ReceiveAll(int node)
    {
        RequireSelf(node);
        var all = new List<Message>();
        while (_inbox.TryDequeue(out var message)) all.Add(message);
        return all;
    }

    /// <summary>Stops the listener and closes the channels.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_host is { } host)
        {
            _host = null;
            await host.StopAsync().ConfigureAwait(false);
            await host.DisposeAsync().ConfigureAwait(false);
        }
        foreach (var peer in _peers.Values) peer.Channel.Dispose();
        _peers.Clear();
    }

    /// <summary>Stops the listener and closes the channels.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    /// <summary>Pushes raw bytes to <paramref name="receiver"/>; <see cref="Send"/> and the tests of hostile input use it.</summary>
    internal bool TryPush(int receiver, byte[] bytes, out long framing, out string reason)
    {
        (framing, reason) = Task.Run(() => PushAsync(receiver, bytes)).GetAwaiter().GetResult();
        return reason.Length == 0;
    }

    internal void Enqueue(Message message) => _inbox.Enqueue(message);

    /// <summary>The registered handler's reply to <paramref name="request"/>, or the gRPC error the caller gets.</summary>
    internal Message Answer(Message request) => Answer(_handler, request, "calls");

    /// <summary>The registered orchestrator's reply to <paramref name="request"/>, or the gRPC error the caller gets.</summary>
    internal Message AnswerOrchestration(Message request) => Answer(_orchestrator, request, "orchestration calls");

    private Message Answer(IMessageHandler? registered, Message request, string what)
    {
        var handler = registered ?? throw new RpcException(new Status(StatusCode.Unimplemented, $"node {NodeId} answers no {what}"));
        Message reply;
        try { reply = handler.Handle(request); }
        catch (Exception e)
        {
            // A failing handler must not take the listener down; the caller learns why and the node logs it.
            _logger.LogError("node {Node} failed to answer {Message}: {Reason}", NodeId, request, e.Message);
            throw new RpcException(new Status(StatusCode.Internal, $"node {NodeId} failed to answer: {e.Message}"));
        }
        if (reply.Sender != NodeId || reply.Receiver != request.Sender)
            throw new RpcException(new Status(StatusCode.Internal, $"node {NodeId} answered {request} with {reply}"));
        return reply;
    }

    internal void RecordSent(Message message, long bytes, long framing)
    {
        lock (_ledgerLock) Ledger.Record(message, bytes);
        Interlocked.Add(ref _framingBytes, framing);
    }

    internal void LogRejected(int client, string reason) =>
        _logger.LogWarning("node {Node} rejected a message from client {Client}: {Reason}", NodeId, client, reason);

    private byte[] SerializeOwn(Message message)
    {
        ArgumentNullException.ThrowIfNull(message);
        if (message.Sender != NodeId) throw new ArgumentException($"node {NodeId} cannot send {message} as node {message.Sender}", nameof(message));
        return WireFormat.Serialize(message);
    }

    private void RequireSelf(int node)
    {
        if (node != NodeId) throw new ArgumentException($"this transport serves node {NodeId}, not node {node}", nameof(node));
    }

    private Peer PeerOf(int node) =>
        _peers.TryGetValue(node, out var peer) ? peer : throw new TransportException($"no address for node {node}");

    private CallOptions CallOptions() => new(TokenInterceptor.Credentials(NodeId, Options.Token), DateTime.UtcNow + Options.Deadline);

    private async Task<(long Framing, string Reason)> PushAsync(int receiver, byte[] bytes)
    {
        try
        {
            using var call = PeerOf(receiver).Client.Push(CallOptions());
            long framing = await WriteAsync(call.RequestStream, bytes).ConfigureAwait(false);
            await call.ResponseAsync.ConfigureAwait(false);
            return (framing + GrpcFraming.MessagePrefixBytes, "");
        }
        catch (RpcException e) { return (0, Describe(e)); }
        catch (TransportException e) { return (0, e.Message); }
    }

    private async Task<(byte[] Reply, long Framing)> ExchangeAsync(int receiver, byte[] bytes, bool orchestrate)
    {
        var client = PeerOf(receiver).Client;
        using var call = orchestrate ? client.Orchestrate(CallOptions()) : client.Exchange(CallOptions());
        long framing = await WriteAsync(call.RequestStream, bytes).ConfigureAwait(false);
        var reply = await GrpcFraming.ReadAsync(call.ResponseStream, Options.Schema, CancellationToken.None).ConfigureAwait(false);
        return (reply, framing);
    }

    /// <summary>Writes the chunks and ends the request stream; a receiver that refuses early ends the call, whose status says why.</summary>
    private async Task<long> WriteAsync(IClientStreamWriter<Chunk> stream, byte[] bytes)
    {
        long framing = 0;
        try
        {
            framing = await GrpcFraming.WriteAsync(stream, bytes, Options.ChunkBytes).ConfigureAwait(false);
            await stream.CompleteAsync().ConfigureAwait(false);
        }
        catch (InvalidOperationException)
        {
            // Writing to a call the receiver has already ended; awaiting its response raises the receiver's status.
        }
        return framing;
    }

    private static string Describe(RpcException e)
    {
        string detail = e.Status.DebugException is { } inner && !e.Status.Detail.Contains(inner.Message, StringComparison.Ordinal)
            ? $"{e.Status.Detail} ({inner.Message})" : e.Status.Detail;
        return $"{e.StatusCode}: {detail}".ReplaceLineEndings(" ");
    }

    private void Listen()
    {
        var url = new Uri(Options.ListenUrl);
        var address = url.IsLoopback && url.HostNameType == UriHostNameType.Dns ? IPAddress.Loopback
            : IPAddress.TryParse(url.Host.Trim('[', ']'), out var ip) ? ip
            : throw new ArgumentException($"ListenUrl: host '{url.Host}' must be an IP address or localhost", nameof(Options));
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(new ForwardingProvider(_loggers));
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, url.Port, listen =>
        {
            listen.Protocols = HttpProtocols.Http2;
            listen.UseHttps(Options.Certificate);
        }));
        builder.Services.AddSingleton(new TokenInterceptor(Options.Tokens, _logger, NodeId));
        builder.Services.AddSingleton(new NodeService(this));
        builder.Services.AddGrpc(grpc => grpc.Interceptors.Add<TokenInterceptor>());
        var host = builder.Build();
        host.MapGrpcService<NodeService>();
        try { host.StartAsync().GetAwaiter().GetResult(); }
        catch (IOException e) { throw new IOException($"ListenUrl: cannot listen on {Options.ListenUrl}: {e.Message}", e); }
        _host = host;
        var bound = new Uri(host.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First());
        ListenUrl = new UriBuilder(url) { Port = bound.Port }.Uri.ToString().TrimEnd('/');
    }

    /// <summary>Sends the listener's own logs (Kestrel, gRPC: warnings and errors) to the transport's logger factory.</summary>
    private sealed class ForwardingProvider(ILoggerFactory target) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => target.CreateLogger(categoryName);

        public void Dispose()
        {
            // The factory belongs to whoever passed it in.
        }
    }
}
