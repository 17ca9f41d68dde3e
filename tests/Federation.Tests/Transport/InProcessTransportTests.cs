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
    public void WeightsDecodeIntoAModelsParameters()
    {
        var source = new List<(string Name, Tensor Value)> { ("a", Tensor.FromArray([1, 2, 3], new Shape(3))), ("b", Tensor.FromArray([4, 5], new Shape(1, 2))) };
        var target = new List<(string Name, Tensor Value)> { ("a", Tensor.Zeros(new Shape(3))), ("b", Tensor.Zeros(new Shape(1, 2))) };
        var transport = new InProcessTransport(new TrafficLedger());
        transport.Send(new Message(0, Message.Server, 1, MessageKind.Weights, WireTensor.DenseAll(source)));
        Assert.True(transport.TryReceive(1, out var m));
        m!.DecodeInto(target);
        Assert.Equal([1f, 2, 3], target[0].Value.ToArray());
        Assert.Equal([4f, 5], target[1].Value.ToArray());
        var wrong = new List<(string Name, Tensor Value)> { ("a", Tensor.Zeros(new Shape(3))), ("c", Tensor.Zeros(new Shape(1, 2))) };
        Assert.Throws<ArgumentException>(() => m.DecodeInto(wrong));
        Assert.Equal(0f, wrong[0].Value.Span[0]);
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

    [Fact]
    public void CallRunsTheReceiversHandlerAndAccountsBothWays()
    {
        var ledger = new TrafficLedger();
        var transport = new InProcessTransport(ledger);
        transport.Register(Message.Server, new Doubler());
        var request = new Message(3, 2, Message.Server, MessageKind.Activations, [WireTensor.Dense("a", new Shape(2), [1.5f, -2f])]);
        var reply = transport.Call(request);
        Assert.Equal([3f, -4f], reply["a"].ToArray());
        Assert.Equal(2, reply.Receiver);
        Assert.Equal([WireFormat.Size(request), WireFormat.Size(reply)], ledger.Entries.Select(e => e.Bytes));
        Assert.False(transport.TryReceive(Message.Server, out _));
        var unanswered = new Message(3, 2, 7, MessageKind.Activations, [WireTensor.Dense("a", new Shape(1), [1f])]);
        Assert.Throws<TransportException>(() => transport.Call(unanswered));
        Assert.Throws<ArgumentException>(() => transport.Register(Message.Server, new Doubler()));
    }

    [Fact]
    public void ThePhaseTravelsWithTheMessageAndTheLedgerReportsItApart()
    {
        var ledger = new TrafficLedger();
        var transport = new InProcessTransport(ledger);
        var training = new Message(1, 0, 1, MessageKind.Weights, [WireTensor.Dense("z", new Shape(3), [1f, 2f, 3f])]);
        var consensus = new Message(1, 0, 1, MessageKind.Weights, [WireTensor.Dense("z", new Shape(1), [1f])], MessagePhase.Consensus);
        Assert.True(transport.Send(training));
        Assert.True(transport.Send(consensus));
        Assert.Equal([MessagePhase.Training, MessagePhase.Consensus], transport.ReceiveAll(1).Select(m => m.Phase));
        Assert.Equal(WireFormat.Size(training), ledger.Total(MessagePhase.Training));
        Assert.Equal(WireFormat.Size(consensus), ledger.Total(MessagePhase.Consensus));
        Assert.Equal(0, ledger.Total(MessagePhase.Control));
        Assert.Contains(",Consensus,", ledger.ToCsv());
    }

    private sealed class Doubler : IMessageHandler
    {
        public Message Handle(Message request) =>
            new(request.Round, request.Receiver, request.Sender, request.Kind, [WireTensor.Dense("a", request["a"].Shape, request["a"].ToArray().Select(v => 2 * v).ToArray())]);
    }
}
