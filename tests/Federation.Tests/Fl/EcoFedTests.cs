using NanoFed.Autograd;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Ledger;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Data;
using NanoFed.Nets.Models;
using NanoFed.Nets.Training;
using Xunit;

namespace NanoFed.Tests;

public class EcoFedTests
{
    private static readonly Normalization Norm = new([0.35f], [0.2f]);

    /// <summary>SmallCnn cut after its first conv block (conv1, relu1, pool1: 32×13×13 on the device).</summary>
    private const int Split = 3;

    private static (FlRunner Runner, EcoFed Method) Create(ulong seed, EcoFedOptions? options = null, int trainCount = 1000)
    {
        var train = FedAvgTests.Synthetic(trainCount, seed);
        var test = FedAvgTests.Synthetic(300, seed + 1000);
        var partition = new IidPartitioner(10).Split(train.Labels, 10, new RngStream(seed, 5));
        var method = new EcoFed(() => SmallCnn.Create(new RngStream(seed, 9)), Split, [1, 28, 28], PretrainedFront.None,
            options ?? new EcoFedOptions(Lr: 0.02));
        var clients = EcoFedClient.Factory(() => SmallCnn.Create(new RngStream(seed, 9)), Split, PretrainedFront.None);
        return (FlTesting.Runner(new FlMethod(method, clients), train, partition, [("test", test)], Norm, perRound: 3, seed), method);
    }

    private static List<float[]> Snapshot(Nets.Modules.Module m) => m.StateDict().Select(t => t.Value.ToArray()).ToList();

    [Fact]
    public void AccuracyImprovesOverUpdateAndReplayRounds()
    {
        var (runner, method) = Create(42);
        double initial = Evaluator.Evaluate(method.GlobalModel, FedAvgTests.Synthetic(300, 1042), Norm, "test").Accuracy;
        var history = runner.Run(4);
        Assert.True(history[^1].Accuracy > initial + 0.3, $"initial {initial}, per round {string.Join(", ", history.Select(h => h.Accuracy))}");
        Assert.True(history[^1].Loss < history[0].Loss, string.Join(", ", history.Select(h => h.Loss)));
        Assert.True(history[1].Accuracy != history[0].Accuracy, "a replay round trains the back part too");
        for (int r = 0; r < history.Count; r++)
            Assert.True(r % 2 == 0 ? history[r].Bytes > 0 : history[r].Bytes == 0, $"round {r + 1}: {history[r].Bytes} bytes");
        Assert.All(runner.Ledger.Entries.Where(e => e.Phase == MessagePhase.Training), e => Assert.Equal(Message.Server, e.Receiver));
        Assert.All(runner.Ledger.Entries.Where(e => e.Receiver != Message.Server), e => Assert.Equal((MessageKind.Control, MessagePhase.Control), (e.Kind, e.Phase)));
        var updated = history.Where(h => h.Round % 2 == 1).SelectMany(h => h.Clients).Distinct().Order();
        Assert.Equal(updated, method.Buffer.Clients.Order());
    }

    [Fact]
    public void SameSeedGivesIdenticalMetrics()
    {
        var options = new EcoFedOptions(Lr: 0.02, ReshuffleReplay: true, BufferCapacity: 4);
        var a = Create(11, options, trainCount: 300).Runner.Run(4);
        var b = Create(11, options, trainCount: 300).Runner.Run(4);
        Assert.Equal(FlRoundMetrics.ToCsv(a), FlRoundMetrics.ToCsv(b));
    }

    [Fact]
    public void FrontNeverChangesAndTheBackDoes()
    {
        var (runner, method) = Create(5, trainCount: 300);
        var front = Snapshot(method.DevicePart);
        var back = Snapshot(method.ServerPart);
        runner.Run(3);
        var frontAfter = Snapshot(method.DevicePart);
        for (int t = 0; t < front.Count; t++) Assert.Equal(front[t], frontAfter[t]);
        Assert.NotEqual(back[0], Snapshot(method.ServerPart)[0]);
    }

    /// <summary>
    /// No training data goes down (only an update round's context, off the clock), so a device's time is its front
    /// forward plus its upload (update rounds) or nothing (replay rounds); the server trains the back on the entries of the round-1 clients in both rounds (K = 3, buffer of 3).
    /// </summary>
    [Fact]
    public void RoundTimeIsFrontForwardUploadAndServerTraining()
    {
        var (runner, method) = Create(8, trainCount: 300);
        var history = runner.Run(2);
        var system = runner.System;
        double samples = method.Buffer.Clients.Sum(c => runner.Partition.Indices[c].Length);
        Assert.Equal(history[0].Clients.Order(), method.Buffer.Clients.Order());
        foreach (var m in history)
        {
            double slowest = 0;
            foreach (int c in m.Clients)
            {
                long up = runner.Ledger.Node(c, sent: true, m.Round);
                double flops = m.Round == 1 ? (double)method.FrontForwardFlopsPerImage * runner.Partition.Indices[c].Length : 0;
                Assert.Equal(0, FedAvgTests.TrainingBytes(runner, c, sent: false, m.Round));
                Assert.Equal(m.Round == 1, up > 0);
                slowest = Math.Max(slowest, system.DeviceTime(new(c, 0, 0, flops, up, up > 0 ? 2 : 0)));
            }
            double server = 3.0 * method.BackForwardFlopsPerImage * samples + 2.0 * method.BackElements * 3;
            Assert.Equal(slowest + system.ServerCompute(server), m.Seconds, 9);
        }
    }

    /// <summary>
    /// What the server trains on (the buffer entry's decoded samples) is exactly the de-quantized wire values, and each
    /// is within half a quantization step of the device's true activation. Every image has its own label, so the labels
    /// that travel with the activations tell which image each stored sample is.
    /// </summary>
    [Theory]
    [InlineData(8, false)]
    [InlineData(4, false)]
    [InlineData(5, true)]
    public void ServerTrainsOnTheDequantizedWireValues(int bits, bool perChannel)
    {
        const int n = 20;
        var rng = new RngStream(12, 13);
        var pixels = new byte[n * 784];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)rng.NextInt(256);
        var data = new ImageDataset(pixels, Enumerable.Range(0, n).ToArray(), 1, 28, 28, n);
        var method = new EcoFed(() => SmallCnn.Create(new RngStream(2, 9), classes: n), Split, [1, 28, 28], PretrainedFront.None,
            new EcoFedOptions(B: 8, Bits: bits, PerChannel: perChannel));
        var client = EcoFedClient.Factory(() => SmallCnn.Create(new RngStream(2, 9), classes: n), Split, PretrainedFront.None)(new FlClientData(4, data, Norm));
        var transport = new InProcessTransport(new TrafficLedger());
        foreach (var m in method.ConfigureRound(new FlRound(1, [4], 2))) transport.Send(m);
        client.Work(transport);
        var replies = transport.ReceiveAll(Message.Server);
        method.Aggregate(1, replies, []);

        var entry = method.Buffer[4];
        float[] trained = entry.Decode();
        var wire = replies.Single(m => m.Kind == MessageKind.Activations).Payload;
        Assert.Equal(wire.SelectMany(t => t.ToArray()).ToArray(), trained);
        Assert.Equal(new[] { 8, 8, 4 }, wire.Select(t => t.Shape[0]).ToArray());
        Assert.NotEqual(Enumerable.Range(0, n), entry.Labels);

        var truth = FrontActivations(method, data);
        int per = entry.SampleShape.Length, channels = entry.SampleShape[0], plane = per / channels;
        int s = 0;
        foreach (var batch in wire)
        {
            for (int i = 0; i < batch.Shape[0]; i++, s++)
            {
                int image = entry.Labels[s];
                for (int e = 0; e < per; e++)
                {
                    float scale = perChannel ? batch.Scales[e / plane] : batch.Scales[0];
                    float error = Math.Abs(trained[s * per + e] - truth[image * per + e]);
                    Assert.True(error <= scale / 2 * (1 + 1e-5f) + 1e-6f, $"sample {s} element {e}: error {error}, step {scale}");
                }
            }
        }
    }

    private static float[] FrontActivations(EcoFed method, ImageDataset data)
    {
        var tape = new Tape();
        using var loader = new BatchLoader(data, data.Count, Norm);
        using var _ = tape.NoGrad();
        var batch = loader.Epoch(0).Single();
        return method.DevicePart.Forward(tape, new Variable(batch.Images)).Data.ToArray();
    }

    [Fact]
    public void RoundOneIsAnUpdateRoundAndPeriodsFollow()
    {
        var o = new EcoFedOptions(Period: 3);
        Assert.Equal(new[] { true, false, false, true, false, false, true }, Enumerable.Range(1, 7).Select(o.IsUpdateRound).ToArray());
        Assert.True(Enumerable.Range(1, 5).All(new EcoFedOptions(Period: 1).IsUpdateRound));
    }

    [Fact]
    public void InvalidOptionsThrow()
    {
        Assert.Throws<ArgumentException>(() => new EcoFedOptions(Bits: 9).Validate());
        Assert.Throws<ArgumentException>(() => new EcoFedOptions(Bits: 0).Validate());
        Assert.Throws<ArgumentException>(() => new EcoFedOptions(Period: 0).Validate());
        Assert.Throws<ArgumentException>(() => new EcoFedOptions(BufferCapacity: 0).Validate());
        Assert.Throws<ArgumentException>(() => new EcoFedOptions(B: 0).Validate());
        Assert.Throws<ArgumentOutOfRangeException>(() => new EcoFed(() => SmallCnn.Create(new RngStream(1, 1)), 0, [1, 28, 28], PretrainedFront.None));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EcoFed(() => SmallCnn.Create(new RngStream(1, 1)), 10, [1, 28, 28], PretrainedFront.None));
    }
}
