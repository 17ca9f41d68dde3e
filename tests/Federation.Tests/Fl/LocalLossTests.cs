using NanoFed.Federation.Fl;
using NanoFed.Federation.Sampling;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests;

public class LocalLossTests
{
    private static FlMethod Create(ulong seed) =>
        new(new LocalLoss(() => SplitMethodTesting.Model(seed), SplitMethodTesting.Split, [1, 28, 28], SplitMethodTesting.Classes, seed, SplitMethodTesting.Options),
            LocalLossClient.Factory(() => SplitMethodTesting.Model(seed), SplitMethodTesting.Split, SplitMethodTesting.Classes));

    [Fact]
    public void AccuracyImprovesOverRounds() => SplitMethodTesting.AccuracyImproves(seed => Create(seed));

    [Fact]
    public void SameSeedGivesIdenticalMetrics() => SplitMethodTesting.SameSeedSameMetrics(seed => Create(seed));

    /// <summary>
    /// Activations go up per batch, no training data comes down per batch (only an empty Control-phase
    /// acknowledgement); front and head travel once each way, with one round context down; the head is averaged too.
    /// </summary>
    [Fact]
    public void ActivationsUpNothingDownPerBatch()
    {
        var method = Create(3);
        var strategy = (LocalLoss)method.Strategy;
        var head = strategy.Head.StateDict()[0].Value.ToArray();
        var runner = SplitMethodTesting.Runner(method, 3, trainCount: 300);
        var m = runner.Run(1)[0];
        Assert.Equal(0, runner.Ledger.Total(MessageKind.Gradients));
        foreach (int c in m.Clients)
        {
            int batches = (runner.Partition.Indices[c].Length + 19) / 20;
            Assert.Equal(batches, runner.Ledger.Entries.Count(e => e.Kind == MessageKind.Activations && e.Sender == c));
            Assert.Equal(1, runner.Ledger.Entries.Count(e => e.Receiver == c && e.Phase == MessagePhase.Training));
            Assert.Equal(1 + batches, runner.Ledger.Entries.Count(e => e.Receiver == c && e.Phase == MessagePhase.Control));
        }
        Assert.NotEqual(head, strategy.Head.StateDict()[0].Value.ToArray());
    }

    /// <summary>
    /// A client that fails after one of its two batches reached the server leaves no trace: the round's global model and
    /// head are bit-identical to those of a run where the same client fails before sending anything, so its partly
    /// trained server copy is not averaged.
    /// </summary>
    [Fact]
    public void AClientFailingMidTurnLeavesNoTraceInTheAggregate()
    {
        int victim = new ClientSampler(10, 3, 3).Sample(1)[0];
        string Run(int callsBeforeFailing)
        {
            var method = Create(3);
            var failing = method with
            {
                Clients = data => data.Id == victim ? new CutOff(method.Clients(data), callsBeforeFailing) : method.Clients(data),
            };
            var runner = SplitMethodTesting.Runner(failing, 3, trainCount: 300);
            runner.Quorum = 2;
            var m = runner.Run(1)[0];
            Assert.Equal(victim, Assert.Single(m.Failures).Client);
            return FlGoldenTests.Hash(method.Strategy.GlobalModel) + FlGoldenTests.Hash(((LocalLoss)method.Strategy).Head);
        }
        Assert.Equal(Run(0), Run(1));
    }

    /// <summary>A client whose link breaks after <paramref name="calls"/> calls.</summary>
    private sealed class CutOff(IFlClient inner, int calls) : IFlClient, ITransport
    {
        private ITransport? _link;
        private int _calls;

        public int Id => inner.Id;

        public double Work(ITransport transport)
        {
            _link = transport;
            return inner.Work(this);
        }

        public bool Send(Message message) => _link!.Send(message);

        public bool TryReceive(int node, out Message? message) => _link!.TryReceive(node, out message);

        public IReadOnlyList<Message> ReceiveAll(int node) => _link!.ReceiveAll(node);

        public Message Call(Message request) => ++_calls > calls ? throw new TransportException("link down") : _link!.Call(request);
    }

    [Fact]
    public void ClassesMustMatchTheModel() =>
        Assert.Throws<ArgumentException>(() => new LocalLoss(() => SplitMethodTesting.Model(1), SplitMethodTesting.Split, [1, 28, 28], 7, 1));
}
