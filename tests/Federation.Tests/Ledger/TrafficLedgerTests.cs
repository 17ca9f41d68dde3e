using System.Text.Json;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests;

public class TrafficLedgerTests
{
    private static TrafficLedger Sample()
    {
        var l = new TrafficLedger();
        l.Record(new LedgerEntry(0, Message.Server, 1, MessageKind.Weights, 100));
        l.Record(new LedgerEntry(0, 1, Message.Server, MessageKind.Weights, 100));
        l.Record(new LedgerEntry(0, 1, Message.Server, MessageKind.Activations, 40));
        l.Record(new LedgerEntry(1, 2, Message.Server, MessageKind.Activations, 30));
        l.Record(new LedgerEntry(1, 2, 3, MessageKind.Control, 5));
        return l;
    }

    [Fact]
    public void QueriesAddUp()
    {
        var l = Sample();
        Assert.Equal(275, l.Total());
        Assert.Equal(70, l.Total(MessageKind.Activations));
        Assert.Equal(new Dictionary<MessageKind, long> { [MessageKind.Weights] = 200, [MessageKind.Activations] = 70, [MessageKind.Control] = 5 }, l.ByKind());
        Assert.Equal(new Dictionary<int, long> { [-1] = 100, [1] = 140, [2] = 35 }, l.BySender());
        Assert.Equal(new Dictionary<int, long> { [-1] = 170, [1] = 100, [3] = 5 }, l.ByReceiver());
        Assert.Equal(new Dictionary<int, long> { [0] = 240, [1] = 35 }, l.ByRound());
        Assert.Equal(new Dictionary<(int, int), long> { [(0, 1)] = 240, [(1, 2)] = 35, [(1, 3)] = 5 }, l.PerClientPerRound());
        Assert.Equal(140, l.Node(1, sent: true));
        Assert.Equal(100, l.Node(1, sent: false, round: 0));
        Assert.Equal(0, l.Node(1, sent: false, round: 1));
    }

    [Fact]
    public void ExportsCsvAndJson()
    {
        var l = Sample();
        var csv = l.ToCsv().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal("round,sender,receiver,kind,phase,bytes", csv[0]);
        Assert.Equal("0,-1,1,Weights,Training,100", csv[1]);
        Assert.Equal(6, csv.Length);
        using var doc = JsonDocument.Parse(l.ToJson());
        Assert.Equal(275, doc.RootElement.GetProperty("total").GetInt64());
        Assert.Equal(70, doc.RootElement.GetProperty("byKind").GetProperty("Activations").GetInt64());
        var entries = doc.RootElement.GetProperty("entries");
        Assert.Equal(5, entries.GetArrayLength());
        Assert.Equal("Control", entries[4].GetProperty("kind").GetString());
        Assert.Equal(3, entries[4].GetProperty("receiver").GetInt32());
    }
}
