using NanoFed.Deploy;
using NanoFed.Deploy.Peers;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using Xunit;
using static NanoFed.Tests.Cli.ProgramTests;

namespace NanoFed.Tests.Cli;

/// <summary>
/// A gossip peer that is down for some iterations, over real gRPC transports (TLS, tokens) in one process: 4 SGP
/// peers on the exponential graph, peer 3's listener stopped for iterations 4 to 7 and started again on the same
/// address for iteration 8 (every peer reconnecting first, as peer processes do when they start). The others skip it (their sends fail and their shares stay with them; their receives
/// proceed without its message after the deadline), and the sum of the push-sum weights stays n = 4 throughout.
/// </summary>
public sealed class PeerDownTests : IDisposable
{
    private const int Peers = 4, Down = 3, DownFrom = 4, DownUntil = 8;
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-peer-down-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void APeerDownForSomeIterationsLeavesTheSumOfThePushSumWeightsAtN()
    {
        var config = new GossipConfig
        {
            Method = "sgp", Agents = Peers, Graph = "exponential", Model = "smallcnn", Dataset = "fashion-mnist", Limit = 768, Batch = 16, Epochs = 1, Seed = 5,
        };
        var setup = GossipSetup.Load(config, FashionMnistRoot());
        using var certificate = TlsCertificates.CreateSelfSigned("127.0.0.1");
        string tokensPath = Path.Combine(_dir, "tokens.txt");
        var tokens = Enumerable.Range(0, Peers).Select(_ => TokenStore.NewToken()).ToArray();
        File.WriteAllLines(tokensPath, tokens.Select((t, i) => $"{i} {t}"));
        var store = TokenStore.Load(tokensPath);
        GrpcTransportOptions Options(int i, string url, IReadOnlyDictionary<int, string> peers) => new()
        {
            NodeId = i, ListenUrl = url, Certificate = certificate, TrustedCertificates = [certificate], Token = tokens[i], Tokens = store,
            Schema = PeerSession.Schema(setup.Layout), Peers = peers, Deadline = TimeSpan.FromSeconds(5),
        };
        var transports = Enumerable.Range(0, Peers).Select(i => GrpcTransport.Start(Options(i, "https://127.0.0.1:0", new Dictionary<int, string>()), new TrafficLedger())).ToArray();
        var book = transports.ToDictionary(t => t.NodeId, t => t.ListenUrl);
        foreach (var t in transports)
            foreach (var (j, url) in book.Where(p => p.Key != t.NodeId)) t.SetPeer(j, url);
        var links = transports.Select(t => new Switchable(t)).ToArray();
        var sessions = Enumerable.Range(0, Peers).Select(i => new PeerSession(setup, i, links[i]) { ReceiveDeadline = TimeSpan.FromSeconds(1) }).ToArray();
        try
        {
            Assert.True(sessions[0].Iterations > DownUntil);
            float downWeight = float.NaN;
            var failed = new List<long>();
            for (long t = 0; t < sessions[0].Iterations; t++)
            {
                if (t == DownFrom)
                {
                    transports[Down].Dispose();
                    downWeight = sessions[Down].Peer.Agent.Node.W;
                }
                if (t == DownUntil)
                {
                    transports[Down] = GrpcTransport.Start(Options(Down, book[Down], book.Where(p => p.Key != Down).ToDictionary()), new TrafficLedger());
                    links[Down].Inner = transports[Down];
                    sessions[Down].Rejoin(t);
                    // The callers' channels back off after the refused connections; like a process starting, everyone
                    // waits until every listener answers again before the next iteration.
                    foreach (var peer in sessions) peer.Connect(TimeSpan.FromSeconds(60));
                }
                var up = sessions.Where(s => t < DownFrom || t >= DownUntil || s.Peer.Id != Down).ToArray();
                int before = sessions.Sum(s => s.Undelivered);
                foreach (var s in up) s.SendIteration();
                if (sessions.Sum(s => s.Undelivered) > before) failed.Add(t);
                foreach (var s in up) s.ReceiveIteration();
                double total = sessions.Sum(s => (double)s.Peer.Agent.Node.W);
                Assert.True(Math.Abs(total - Peers) < 1e-5, $"iteration {t}: the push-sum weights sum to {total}");
                if (t is >= DownFrom and < DownUntil) Assert.Equal(downWeight, sessions[Down].Peer.Agent.Node.W);
            }
            // Every iteration of the outage, one peer sent to peer 3 in vain and one peer went without its message.
            Assert.Equal([4L, 5, 6, 7], failed);
            Assert.Equal(DownUntil - DownFrom, sessions.Sum(s => s.Undelivered));
            Assert.Equal(DownUntil - DownFrom, sessions.Sum(s => s.Missed));
            Assert.Equal(sessions[0].Iterations, sessions[Down].Iteration);
        }
        finally
        {
            foreach (var s in sessions) s.Dispose();
            foreach (var t in transports) t.Dispose();
        }
    }

    /// <summary>A peer's transport that a restarted listener replaces, as a restarted process would.</summary>
    private sealed class Switchable(ITransport inner) : ITransport
    {
        public ITransport Inner { get; set; } = inner;

        public bool Send(Message message) => Inner.Send(message);

        public bool TryReceive(int node, out Message? message) => Inner.TryReceive(node, out message);

        public IReadOnlyList<Message> ReceiveAll(int node) => Inner.ReceiveAll(node);

        public Message Call(Message request) => Inner.Call(request);
    }
}
