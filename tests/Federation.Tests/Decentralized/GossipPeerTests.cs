using NanoFed.Federation.Decentralized;
using NanoFed.Federation.Gossip;
using NanoFed.Federation.Topology;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests.Decentralized;

/// <summary>
/// The peers of a decentralized run over a transport that loses messages: each peer keeps the shares it could not
/// deliver, so the push-sum weights still sum to n while the agents train.
/// </summary>
[Collection(nameof(WorkerCountCollection))]
public class GossipPeerTests
{
    private const int Agents = 4;

    public static TheoryData<string> Protocols => ["sgp", "sparse-push B", "sparse-push A"];

    private static IGossip Protocol(string name, ITopology t, TensorLayout l) => name switch
    {
        "sgp" => new PushSum(t),
        "sparse-push B" => SparsePush.Create(t, l, keep: 0.1, gamma: 0.2f),
        _ => SparsePush.Create(t, l, keep: 0.1, form: SparsePushForm.ErrorFeedback, gamma: 0.2f),
    };

    [Theory]
    [MemberData(nameof(Protocols))]
    public void PeersKeepUndeliveredSharesSoTheWeightsSumToN(string name)
    {
        DroppingTransport? dropping = null;
        var runner = DecentralizedRunnerStateTests.Runner((t, l) => Protocol(name, t, l), topology: new RandomDigraph(Agents, 2, 1, 3),
            wrap: inner => dropping = DroppingTransport.Random(inner, 0.25, 8));
        runner.RunEpoch();
        runner.RunEpoch();
        Assert.NotNull(dropping);
        Assert.True(dropping.Dropped > 0);
        // Out-degree 2, a = 1/3: the shares a·w are rounded to float, and so are their sums (8 iterations here).
        Assert.Equal(Agents, runner.Agents.Sum(a => (double)a.Node.W), 1e-5);
        Assert.Contains(runner.Agents, a => a.Node.W != 1);
        // The ledger holds the delivered messages only: 2 out-peers per agent per iteration, minus the lost ones.
        Assert.Equal(2 * Agents * runner.Iteration - dropping.Dropped, runner.Ledger.Entries.Count);
    }

    [Fact]
    public void PeersTakeTheirOwnMessagesFromTheirOwnInbox()
    {
        var runner = DecentralizedRunnerStateTests.Runner(static (t, _) => new PushSum(t));
        runner.RunEpoch();
        Assert.Equal(Enumerable.Range(0, Agents), runner.Peers.Select(p => p.Id));
        Assert.All(runner.Peers, p => Assert.Same(runner.Peers[0].Protocol, p.Protocol));
        Assert.All(runner.Ledger.Entries, e => Assert.Equal(((e.Sender + 1) % Agents, MessageKind.Weights), (e.Receiver, e.Kind)));
    }
}
