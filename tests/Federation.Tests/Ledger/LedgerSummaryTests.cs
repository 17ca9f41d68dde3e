using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests;

public class LedgerSummaryTests
{
    [Fact]
    public void MeansDivideByEverySampledClientRound()
    {
        var l = new TrafficLedger();
        l.Record(new LedgerEntry(1, 0, Message.Server, MessageKind.Activations, 300));
        l.Record(new LedgerEntry(1, 1, Message.Server, MessageKind.Activations, 100));
        l.Record(new LedgerEntry(1, 1, Message.Server, MessageKind.Labels, 20));
        // Round 2 sends nothing (a replay round) but its two sampled clients still count.
        var s = LedgerSummary.Of(l, clientRounds: 4);
        Assert.Equal(420, s.Total);
        Assert.Equal(105, s.PerClientRound());
        Assert.Equal(100, s.PerClientRound(MessageKind.Activations));
        Assert.Equal(0, s.PerClientRound(MessageKind.Weights));
        Assert.Equal("kind,bytes,per_client_round\nActivations,400,100\nLabels,20,5\nall,420,105\n", s.ToCsv());
        Assert.Contains("\"per_client_round\": 105", s.ToJson(), StringComparison.Ordinal);
        Assert.True(double.IsNaN(LedgerSummary.Of(l, 0).PerClientRound()));
    }
}
