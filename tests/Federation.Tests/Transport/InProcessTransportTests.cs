using NanoFed.Federation.Ledger;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests;

public class InProcessTransportTests
{
    [Fact]
    public void ReceiverGetsWhatTheBytesSayAndTheLedgerCountsThem()
    {
        var ledger = new TrafficLedger();
        var transport = new InProcessTransport(ledger);
        float[] x = [0.1f, -0.7f, 1.3f, 0.02f];
        var sent = new Message(2, 5, Message.Server, MessageKind.Activations, [WireTensor.Quantized("a", new Shape(4), x, 4)]);
        transport.Send(sent);
        transport.Send(new Message(2, 5, Message.Server, MessageKind.Labels, [WireTensor.Labels("y", [1, 2])]));
        Assert.True(transport.TryReceive(Message.Server, out var got));
        Assert.NotSame(sent, got);
        // 4-bit codes: what arrives is the de-quantized tensor, not the sender's floats.
        var arrived = got!["a"].ToArray();
        Assert.Equal(sent["a"].ToArray(), arrived);
        Assert.NotEqual(x, arrived);
        Assert.Equal(MessageKind.Labels, transport.ReceiveAll(Message.Server).Single().Kind);
        Assert.False(transport.TryReceive(Message.Server, out _));
        Assert.False(transport.TryReceive(5, out _));
        Assert.Equal(2, ledger.Entries.Count);
        Assert.Equal(WireFormat.Size(sent), ledger.Entries[0].Bytes);
    }

    [Fact]
    public void MessagesArriveInOrderPerReceiver()
    {
        var transport = new InProcessTransport(new TrafficLedger());
        for (int r = 0; r < 5; r++)
            for (int to = 0; to < 3; to++)
                transport.Send(new Message(r, Message.Server, to, MessageKind.Control, [WireTensor.Dense("r", new Shape(1), [r])]));
        for (int to = 0; to < 3; to++)
            Assert.Equal([0, 1, 2, 3, 4], transport.ReceiveAll(to).Select(m => m.Round));
    }
}
