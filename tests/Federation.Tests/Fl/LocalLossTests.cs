using NanoFed.Federation.Fl;
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

    [Fact]
    public void ClassesMustMatchTheModel() =>
        Assert.Throws<ArgumentException>(() => new LocalLoss(() => SplitMethodTesting.Model(1), SplitMethodTesting.Split, [1, 28, 28], 7, 1));
}
