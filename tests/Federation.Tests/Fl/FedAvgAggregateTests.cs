using NanoFed.Federation.Fl;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests;

public class FedAvgAggregateTests
{
    private static Sequential Model() => new(
        ("conv", new Conv2d(1, 2, 3, new RngStream(1, 1))),
        ("bn", new BatchNorm2d(2)),
        ("relu", new ReLU()),
        ("pool", new GlobalAvgPool2d()),
        ("fc", new Linear(2, 3, new RngStream(1, 2))));

    private static Message Reply(FedAvg method, int client, float value, int samples)
    {
        var payload = method.GlobalModel.StateDict()
            .Select(t => WireTensor.Dense(t.Name, t.Value.Shape, Enumerable.Repeat(value, t.Value.Length).ToArray())).ToList();
        payload.Add(WireTensor.Dense(FedAvg.SampleCountName, new Shape(1), [samples]));
        return new Message(1, client, Message.Server, MessageKind.Weights, payload);
    }

    [Fact]
    public void AveragesParametersAndBatchNormBuffersBySampleCount()
    {
        var method = new FedAvg(Model, [1, 5, 5]);
        Assert.Contains(method.GlobalModel.StateDict(), t => t.Name.Contains("running_mean", StringComparison.Ordinal));
        double serverFlops = method.Aggregate(1, [Reply(method, 4, 1f, 10), Reply(method, 2, 5f, 30)], []).Flops;
        foreach (var (name, value) in method.GlobalModel.StateDict())
            foreach (float x in value.Span.ToArray()) Assert.True(Math.Abs(x - 4f) < 1e-6, $"{name}: {x}");
        Assert.Equal(2.0 * method.ParameterElements * 2, serverFlops);
    }

    [Fact]
    public void ConfigureRoundSendsEachClientItsContextAndTheGlobalWeights()
    {
        var options = new FedAvgOptions(E: 2, B: 7, Lr: 0.1, Momentum: 0.5, WeightDecay: 1e-4);
        var method = new FedAvg(Model, [1, 5, 5], options);
        var all = method.ConfigureRound(new FlRound(3, [1, 4], 99));
        Assert.All(all, m => Assert.Equal((Message.Server, 3), (m.Sender, m.Round)));
        foreach (int c in new[] { 1, 4 })
        {
            var context = RoundContext.Find(c, [.. all.Where(m => m.Receiver == c)])!;
            Assert.Equal((3, c, 99UL), (context.Round, context.Client, context.Seed));
            Assert.Equal(options, FedAvgOptions.From(context));
            Assert.Equal(RoundContext.Stream(99, 3, c).NextUInt32(), context.Rng().NextUInt32());
        }
        var messages = all.Where(m => m.Phase == MessagePhase.Training).ToList();
        Assert.Equal([1, 4], messages.Select(m => m.Receiver));
        Assert.All(messages, m => Assert.Equal(MessageKind.Weights, m.Kind));
        var state = method.GlobalModel.StateDict();
        Assert.Equal(state.Select(t => t.Name), messages[0].Payload.Select(t => t.Name));
        Assert.Equal(state[0].Value.Span.ToArray(), messages[0].Payload[0].ToArray());
    }

    [Fact]
    public void AggregatingNothingThrows()
    {
        var method = new FedAvg(Model, [1, 5, 5]);
        Assert.Throws<ArgumentException>(() => method.Aggregate(1, [], []));
    }
}
