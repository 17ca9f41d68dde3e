using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests;

public class RoundContextTests
{
    private static readonly (string, double)[] Instructions = [(NanoFed.Federation.Fl.Instructions.Lr, 0.1), (NanoFed.Federation.Fl.Instructions.Epochs, 3)];

    /// <summary>What a client reads is what the server wrote, bit for bit (through the serialized bytes), and keys the same stream.</summary>
    [Fact]
    public void RoundTripsThroughTheWireAndKeysTheClientsStream()
    {
        var transport = new InProcessTransport(new TrafficLedger());
        transport.Send(new RoundContext(4, 2, 0xFEED_BEEF_0123_4567, Instructions).ToMessage());
        var context = RoundContext.Find(2, transport.ReceiveAll(2))!;
        Assert.Equal((4, 2, 0xFEED_BEEF_0123_4567UL), (context.Round, context.Client, context.Seed));
        Assert.Equal(0.1, context[NanoFed.Federation.Fl.Instructions.Lr]);
        Assert.Equal(3, context.Integer(NanoFed.Federation.Fl.Instructions.Epochs));
        var expected = new RngStream(0xFEED_BEEF_0123_4567, RoundContext.ClientStream).Split(4).Split(2);
        var a = context.Rng();
        Assert.Equal(Enumerable.Range(0, 8).Select(_ => expected.NextUInt32()), Enumerable.Range(0, 8).Select(_ => a.NextUInt32()));
        Assert.Equal(context.Rng().NextUInt32(), RoundContext.Stream(0xFEED_BEEF_0123_4567, 4, 2).NextUInt32());
    }

    [Fact]
    public void NoContextMeansNothingToDo() =>
        Assert.Null(RoundContext.Find(1, [new Message(1, Message.Server, 1, MessageKind.Weights, [])]));

    [Fact]
    public void BadContextsAreRejectedNamingTheProblem()
    {
        var good = new RoundContext(1, 3, 7, Instructions).ToMessage();
        Assert.Contains("context of client 3", Assert.Throws<ArgumentException>(() => RoundContext.Find(5, [good])).Message, StringComparison.Ordinal);
        Assert.Contains("2 round contexts", Assert.Throws<ArgumentException>(() => RoundContext.Find(3, [good, good])).Message, StringComparison.Ordinal);
        var keyless = new Message(1, Message.Server, 3, MessageKind.Control, [WireTensor.Raw("lr", new byte[8])], MessagePhase.Control);
        Assert.Contains("16-byte key", Assert.Throws<ArgumentException>(() => RoundContext.Find(3, [keyless])).Message, StringComparison.Ordinal);
        var shortValue = new Message(1, Message.Server, 3, MessageKind.Control, [good.Payload[0], WireTensor.Raw("lr", new byte[4])], MessagePhase.Control);
        Assert.Contains("'lr'", Assert.Throws<ArgumentException>(() => RoundContext.Find(3, [shortValue])).Message, StringComparison.Ordinal);
        var context = RoundContext.Find(3, [good])!;
        Assert.Contains("'batch'", Assert.Throws<KeyNotFoundException>(() => context[NanoFed.Federation.Fl.Instructions.Batch]).Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => context.Integer(NanoFed.Federation.Fl.Instructions.Lr));
        Assert.Throws<ArgumentException>(() => new RoundContext(1, 3, 7, [("lr", 1), ("lr", 2)]));
    }
}
