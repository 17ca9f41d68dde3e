using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using NanoFed.Deploy;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// Two or three nodes on 127.0.0.1 with ephemeral ports, TLS with an in-memory self-signed certificate, tokens from
/// a file: messages small and over gRPC's 4 MB limit, calls, refused tokens, hostile messages, dead peers.
/// </summary>
public sealed class GrpcTransportTests : IDisposable
{
    private const int Device = 0;
    private static readonly X509Certificate2 Certificate = TlsCertificates.CreateSelfSigned("127.0.0.1", "localhost");
    private static readonly string ServerToken = TokenStore.NewToken(), DeviceToken = TokenStore.NewToken();

    private static readonly MessageSchema Schema = new(
        [
            TensorSpec.Of("w", new Shape(2, 3), WireEncoding.DenseF32, WireEncoding.Quantized),
            new TensorSpec("big", [TensorSpec.AnyDim], [WireEncoding.DenseF32], maxElements: 2_000_000),
        ],
        maxMessageBytes: 16 << 20, maxTensors: 4);

    private readonly string _folder = Directory.CreateTempSubdirectory("nanofed-grpc-").FullName;
    private readonly string _tokensFile;
    private readonly List<GrpcTransport> _nodes = [];

    public GrpcTransportTests()
    {
        _tokensFile = Path.Combine(_folder, "tokens.txt");
        WriteTokens("");
    }

    public void Dispose()
    {
        foreach (var node in _nodes) node.Dispose();
        Directory.Delete(_folder, recursive: true);
    }

    private void WriteTokens(string deviceSuffix) =>
        File.WriteAllText(_tokensFile, $"# node token\n-1 {ServerToken}\n{Device} {DeviceToken}{deviceSuffix}\n");

    private GrpcTransport Start(int node, CollectingLogger log, string? token = null, X509Certificate2? trust = null, TimeSpan? deadline = null,
        MessageSchema? schema = null, int chunkBytes = GrpcFraming.DefaultChunkBytes)
    {
        var transport = GrpcTransport.Start(new GrpcTransportOptions
        {
            NodeId = node,
            ListenUrl = "https://127.0.0.1:0",
            Certificate = Certificate,
            TrustedCertificates = [trust ?? Certificate],
            Token = token ?? (node == Message.Server ? ServerToken : DeviceToken),
            Tokens = TokenStore.Load(_tokensFile),
            Schema = schema ?? Schema,
            Deadline = deadline ?? TimeSpan.FromSeconds(10),
            ChunkBytes = chunkBytes,
        }, new TrafficLedger(), log.Factory);
        _nodes.Add(transport);
        return transport;
    }

    /// <summary>A server and a device that know each other's address.</summary>
    private (GrpcTransport Server, GrpcTransport Device) Pair(CollectingLogger serverLog, CollectingLogger deviceLog, string? deviceToken = null)
    {
        var server = Start(Message.Server, serverLog);
        var device = Start(Device, deviceLog, deviceToken);
        server.SetPeer(Device, device.ListenUrl);
        device.SetPeer(Message.Server, server.ListenUrl);
        return (server, device);
    }

    private static float[] Floats(int n, int seed) => Enumerable.Range(0, n).Select(i => MathF.Sin(i * 0.001f + seed)).ToArray();

    private static Message Weights(int round, int sender, int receiver, string name = "w", Shape? shape = null)
    {
        var s = shape ?? new Shape(2, 3);
        return new Message(round, sender, receiver, MessageKind.Weights, [WireTensor.Dense(name, s, Floats(s.Length, round))]);
    }

    [Fact]
    public void SmallAndOverFourMegabyteMessagesArriveBitIdenticalInOrderAndTheLedgerCountsWireBytes()
    {
        var (server, device) = Pair(new CollectingLogger(), new CollectingLogger());
        var small = Weights(1, Device, Message.Server);
        var large = Weights(2, Device, Message.Server, "big", new Shape(1_500_000));
        var quantized = new Message(3, Device, Message.Server, MessageKind.Weights, [WireTensor.Quantized("w", new Shape(2, 3), Floats(6, 3), 3, axis: 1)]);
        Message[] sent = [small, large, quantized];
        foreach (var m in sent) Assert.True(device.Send(m));

        var got = server.ReceiveAll(Message.Server);
        Assert.Equal(sent.Length, got.Count);
        for (int i = 0; i < sent.Length; i++) Assert.Equal(WireFormat.Serialize(sent[i]), WireFormat.Serialize(got[i]));
        Assert.True(WireFormat.Size(large) > 4 << 20);
        Assert.Equal(sent.Select(WireFormat.Size), device.Ledger.Entries.Select(e => e.Bytes));
        Assert.Equal(sent.Sum(m => GrpcFraming.Overhead(WireFormat.Size(m), GrpcFraming.DefaultChunkBytes) + GrpcFraming.MessagePrefixBytes), device.FramingBytes);
        Assert.Empty(server.Ledger.Entries);
        Assert.False(server.TryReceive(Message.Server, out _));
        Assert.Throws<ArgumentException>(() => server.ReceiveAll(Device));

        Assert.True(server.Send(Weights(4, Message.Server, Device)));
        Assert.True(device.TryReceive(Device, out var back));
        Assert.Equal(4, back!.Round);
    }

    [Fact]
    public void FramingIsCountedPerChunkOfTheConfiguredSize()
    {
        var log = new CollectingLogger();
        var server = Start(Message.Server, log);
        var device = Start(Device, log, chunkBytes: 1000);
        device.SetPeer(Message.Server, server.ListenUrl);
        var message = Weights(1, Device, Message.Server, "big", new Shape(2600));
        Assert.True(device.Send(message));
        long size = WireFormat.Size(message);
        // 10 400 data bytes plus headers: ten full chunks of 1000 (5 + 1 + 2 bytes each) and the rest (5 + 1 + 1 or 2).
        Assert.Equal(GrpcFraming.Overhead(size, 1000) + 5, device.FramingBytes);
        Assert.Equal(10 * 8 + GrpcFraming.ChunkOverhead((int)(size % 1000)) + 5, device.FramingBytes);
        Assert.Equal(WireFormat.Serialize(message), WireFormat.Serialize(server.ReceiveAll(Message.Server).Single()));
    }

    private sealed class Doubler : IMessageHandler
    {
        public Message Handle(Message request)
        {
            var x = request["w"].ToArray();
            return new Message(request.Round, Message.Server, request.Sender, MessageKind.Gradients, [WireTensor.Dense("w", new Shape(2, 3), x.Select(v => 2 * v).ToArray())]);
        }
    }

    [Fact]
    public void CallReturnsTheHandlersReplyAndEachSideRecordsWhatItSent()
    {
        var (server, device) = Pair(new CollectingLogger(), new CollectingLogger());
        server.Register(new Doubler());
        var request = Weights(5, Device, Message.Server);
        var reply = device.Call(request);
        Assert.Equal(MessageKind.Gradients, reply.Kind);
        Assert.Equal((Message.Server, Device, 5), (reply.Sender, reply.Receiver, reply.Round));
        Assert.Equal(request["w"].Values.Select(v => 2 * v), reply["w"].Values);
        Assert.Equal(WireFormat.Size(request), device.Ledger.Entries.Single().Bytes);
        Assert.Equal(WireFormat.Size(reply), server.Ledger.Entries.Single().Bytes);
        Assert.Empty(server.ReceiveAll(Message.Server));

        var noHandler = Assert.Throws<TransportException>(() => server.Call(Weights(5, Message.Server, Device)));
        Assert.Contains("Unimplemented: node 0 answers no calls", noHandler.Message);
    }

    [Fact]
    public void UnknownWrongAndRevokedTokensAreRefusedAndLoggedWithTheClientAndReason()
    {
        var serverLog = new CollectingLogger();
        var deviceLog = new CollectingLogger();
        var (server, device) = Pair(serverLog, deviceLog, deviceToken: TokenStore.NewToken());
        Assert.False(device.Send(Weights(1, Device, Message.Server)));
        Assert.True(serverLog.Has("refused client 0", "wrong token for client 0"));
        Assert.True(deviceLog.Has("could not send", "Unauthenticated: wrong token for client 0"));

        var stranger = Start(7, new CollectingLogger(), token: ServerToken);
        stranger.SetPeer(Message.Server, server.ListenUrl);
        Assert.False(stranger.Send(Weights(1, 7, Message.Server)));
        Assert.True(serverLog.Has("refused client 7", "client 7 is not in the tokens file"));

        var honest = Start(Device, new CollectingLogger());
        honest.SetPeer(Message.Server, server.ListenUrl);
        Assert.True(honest.Send(Weights(1, Device, Message.Server)));
        WriteTokens(" revoked");
        Assert.False(honest.Send(Weights(2, Device, Message.Server)));
        Assert.True(serverLog.Has("refused client 0", "client 0 is revoked"));
        Assert.Single(server.ReceiveAll(Message.Server));
    }

    [Fact]
    public void TruncatedWrongShapeOversizeAndSpoofedMessagesAreRejectedWithAReasonAndAGoodOneStillArrives()
    {
        var serverLog = new CollectingLogger();
        var (server, device) = Pair(serverLog, new CollectingLogger());
        var good = WireFormat.Serialize(Weights(1, Device, Message.Server));

        Assert.False(device.TryPush(Message.Server, good[..^3], out _, out var reason));
        Assert.StartsWith("InvalidArgument: malformed: ", reason);
        Assert.True(serverLog.Has("rejected a message from client 0: malformed:"));

        Assert.False(device.Send(Weights(2, Device, Message.Server, "w", new Shape(3, 2))));
        Assert.True(serverLog.Has("rejected a message from client 0: tensor 0 'w': shape [3, 2], expected [2, 3]"));

        Assert.False(device.Send(Weights(3, Device, Message.Server, "bias", new Shape(3))));
        Assert.True(serverLog.Has("tensor 0 'bias': unknown tensor"));

        Assert.False(device.Send(Weights(4, Device, Message.Server, "big", new Shape(2_000_001))));
        Assert.True(serverLog.Has("tensor 0 'big': 2000001 elements, at most 2000000 accepted"));

        // 18 MB against a 16 MiB limit: refused while it streams, before it is parsed.
        var big = WireTensor.Dense("big", new Shape(1_500_000), Floats(1_500_000, 0));
        Assert.False(device.Send(new Message(4, Device, Message.Server, MessageKind.Weights, [big, big, big])));
        Assert.True(serverLog.Has("rejected a message from client 0: message of", "bytes exceeds the limit of 16777216"));

        var spoofed = WireFormat.Serialize(Weights(5, 3, Message.Server));
        Assert.False(device.TryPush(Message.Server, spoofed, out _, out reason));
        Assert.Contains("sender 3 is not the authenticated client 0", reason);

        Assert.True(device.TryPush(Message.Server, good, out _, out reason), reason);
        Assert.Equal(good, WireFormat.Serialize(server.ReceiveAll(Message.Server).Single()));
        Assert.Empty(server.Ledger.Entries);
        Assert.Empty(device.Ledger.Entries);
    }

    [Fact]
    public void ACertificateAndKeyFromPemFilesServeAndTheCertificateFileIsTrusted()
    {
        string cert = Path.Combine(_folder, "node.crt"), key = Path.Combine(_folder, "node.key");
        File.WriteAllText(cert, Certificate.ExportCertificatePem());
        File.WriteAllText(key, Certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var loaded = TlsCertificates.LoadPem(cert, key);
        Assert.Equal(Certificate.Thumbprint, loaded.Thumbprint);
        Assert.True(loaded.HasPrivateKey);
        var trusted = TlsCertificates.LoadTrust(cert);
        Assert.Equal(Certificate.Thumbprint, Assert.Single(trusted).Thumbprint);

        var server = Start(Message.Server, new CollectingLogger(), trust: trusted[0]);
        var device = Start(Device, new CollectingLogger(), trust: trusted[0]);
        device.SetPeer(Message.Server, server.ListenUrl);
        Assert.True(device.Send(Weights(1, Device, Message.Server)));

        string missing = Path.Combine(_folder, "none.crt");
        Assert.Equal($"{missing}: certificate file not found", Assert.Throws<FileNotFoundException>(() => TlsCertificates.LoadPem(missing, key)).Message);
        Assert.Equal($"{key}: no certificate found", Assert.Throws<System.Security.Cryptography.CryptographicException>(() => TlsCertificates.LoadTrust(key)).Message);
    }

    [Fact]
    public void ACertificateIssuedByATrustedCaIsAcceptedWithoutTrustingTheLeaf()
    {
        using var caKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var caRequest = new CertificateRequest("CN=NanoFed test CA", caKey, HashAlgorithmName.SHA256);
        caRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        caRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        var now = DateTimeOffset.UtcNow;
        using var ca = caRequest.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        using var leafKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var leafRequest = new CertificateRequest("CN=127.0.0.1", leafKey, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddIpAddress(IPAddress.Loopback);
        leafRequest.CertificateExtensions.Add(names.Build());
        using var issued = leafRequest.Create(ca, now.AddMinutes(-5), now.AddDays(1), [1, 2, 3, 4]);
        var leaf = X509CertificateLoader.LoadPkcs12(issued.CopyWithPrivateKey(leafKey).Export(X509ContentType.Pkcs12), null);
        var caOnly = X509CertificateLoader.LoadCertificate(ca.RawData);

        var server = GrpcTransport.Start(new GrpcTransportOptions
        {
            NodeId = Message.Server, ListenUrl = "https://127.0.0.1:0", Certificate = leaf, TrustedCertificates = [caOnly],
            Token = ServerToken, Tokens = TokenStore.Load(_tokensFile), Schema = Schema,
        }, new TrafficLedger());
        _nodes.Add(server);
        var device = Start(Device, new CollectingLogger(), trust: caOnly);
        device.SetPeer(Message.Server, server.ListenUrl);
        Assert.True(device.Send(Weights(1, Device, Message.Server)));
        Assert.Single(server.ReceiveAll(Message.Server));
    }

    [Fact]
    public void AServerCertificateTheClientWasNotGivenIsRefused()
    {
        var server = Start(Message.Server, new CollectingLogger());
        var deviceLog = new CollectingLogger();
        var device = Start(Device, deviceLog, trust: TlsCertificates.CreateSelfSigned("127.0.0.1"));
        device.SetPeer(Message.Server, server.ListenUrl);
        Assert.False(device.Send(Weights(1, Device, Message.Server)));
        Assert.True(deviceLog.Has("could not send", "The remote certificate was rejected by the provided RemoteCertificateValidationCallback"));
        Assert.Empty(server.ReceiveAll(Message.Server));
    }

    [Fact]
    public void UnreachableAndStalledReceiversFailWithinTheDeadline()
    {
        var deadline = TimeSpan.FromSeconds(1);
        var log = new CollectingLogger();
        var device = Start(Device, log, deadline: deadline);

        var closed = new TcpListener(IPAddress.Loopback, 0);
        closed.Start();
        int closedPort = ((IPEndPoint)closed.LocalEndpoint).Port;
        closed.Stop();
        device.SetPeer(Message.Server, $"https://127.0.0.1:{closedPort}");
        var clock = Stopwatch.StartNew();
        Assert.False(device.Send(Weights(1, Device, Message.Server)));
        Assert.True(clock.Elapsed < deadline + TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");

        // Accepts connections and never answers: the TLS handshake stalls until the deadline ends the call.
        var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        try
        {
            device.SetPeer(Message.Server, $"https://127.0.0.1:{((IPEndPoint)silent.LocalEndpoint).Port}");
            clock.Restart();
            Assert.False(device.Send(Weights(2, Device, Message.Server)));
            Assert.True(clock.Elapsed < deadline + TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
            Assert.True(log.Has("could not send", "r2", "DeadlineExceeded"), string.Join("\n", log.Lines));
            Assert.Throws<TransportException>(() => device.Call(Weights(3, Device, Message.Server)));
        }
        finally { silent.Stop(); }

        Assert.False(device.Send(Weights(4, Device, 9)));
        Assert.True(log.Has("could not send", "no address for node 9"));
        Assert.Empty(device.Ledger.Entries);
    }

    private sealed class Sleeper : IMessageHandler
    {
        public Message Handle(Message request)
        {
            Thread.Sleep(TimeSpan.FromSeconds(2.5));
            return new Message(request.Round, request.Receiver, request.Sender, MessageKind.Control, []);
        }
    }

    [Fact]
    public void AHandlerThatStallsPastTheDeadlineFailsTheCall()
    {
        var serverLog = new CollectingLogger();
        var server = Start(Message.Server, serverLog);
        server.Register(new Sleeper());
        var deviceLog = new CollectingLogger();
        var device = Start(Device, deviceLog, deadline: TimeSpan.FromSeconds(1));
        device.SetPeer(Message.Server, server.ListenUrl);
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<TransportException>(() => device.Call(Weights(1, Device, Message.Server)));
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(3), $"took {clock.Elapsed}");
        Assert.Contains("DeadlineExceeded", e.Message);
        Assert.True(deviceLog.Has("call", "failed: DeadlineExceeded"));
    }

    [Fact]
    public void InvalidOptionsFailWithOneLineNamingTheOption()
    {
        var log = new CollectingLogger();
        var e = Assert.Throws<ArgumentException>(() => Start(Device, log, deadline: TimeSpan.Zero));
        Assert.StartsWith("Deadline: 00:00:00 is not positive", e.Message);
        e = Assert.Throws<ArgumentException>(() => Start(Device, log, chunkBytes: 8 << 20));
        Assert.StartsWith("ChunkBytes: 8388608 outside", e.Message);
        var device = Start(Device, log);
        e = Assert.Throws<ArgumentException>(() => device.SetPeer(1, "http://127.0.0.1:5000"));
        Assert.StartsWith("url: 'http://127.0.0.1:5000' is not an https URL", e.Message);
        Assert.Throws<ArgumentException>(() => device.Send(Weights(1, 3, Message.Server)));
    }
}
