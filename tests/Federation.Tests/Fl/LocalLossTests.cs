using NanoFed.Federation.Fl;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests;

public class LocalLossTests
{
    private static LocalLoss Create(ulong seed) =>
        new(() => SplitMethodTesting.Model(seed), SplitMethodTesting.Split, [1, 28, 28], SplitMethodTesting.Classes, seed, SplitMethodTesting.Options);

    [Fact]
    public void AccuracyImprovesOverRounds() => SplitMethodTesting.AccuracyImproves(seed => Create(seed));

    [Fact]
    public void SameSeedGivesIdenticalMetrics() => SplitMethodTesting.SameSeedSameMetrics(seed => Create(seed));

    /// <summary>Activations go up per batch, nothing comes down per batch; front and head travel once each way; the head is averaged too.</summary>
    [Fact]
    public void ActivationsUpNothingDownPerBatch()
    {
        var method = Create(3);
        var head = method.Head.StateDict()[0].Value.ToArray();
        var runner = SplitMethodTesting.Runner(method, 3, trainCount: 300);
        var m = runner.Run(1)[0];
        Assert.Equal(0, runner.Ledger.Total(MessageKind.Gradients));
        foreach (int c in m.Clients)
        {
            int batches = (runner.Partition.Indices[c].Length + 19) / 20;
            Assert.Equal(batches, runner.Ledger.Entries.Count(e => e.Kind == MessageKind.Activations && e.Sender == c));
            Assert.Equal(1, runner.Ledger.Entries.Count(e => e.Receiver == c));
        }
        Assert.NotEqual(head, method.Head.StateDict()[0].Value.ToArray());
    }

    [Fact]
    public void ClassesMustMatchTheModel() =>
        Assert.Throws<ArgumentException>(() => new LocalLoss(() => SplitMethodTesting.Model(1), SplitMethodTesting.Split, [1, 28, 28], 7, 1));
}
