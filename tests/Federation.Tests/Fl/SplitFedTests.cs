using NanoFed.Autograd;
using NanoFed.Federation.Fl;
using NanoFed.Federation.Partitioning;
using NanoFed.Federation.Transport;
using NanoFed.Nets.Optim;
using Xunit;

namespace NanoFed.Tests;

public class SplitFedTests
{
    private static FlMethod Create(ulong seed, FedAvgOptions? options = null) =>
        new(new SplitFed(() => SplitMethodTesting.Model(seed), SplitMethodTesting.Split, [1, 28, 28], options ?? SplitMethodTesting.Options),
            SplitFedClient.Factory(() => SplitMethodTesting.Model(seed), SplitMethodTesting.Split));

    [Fact]
    public void AccuracyImprovesOverRounds() => SplitMethodTesting.AccuracyImproves(seed => Create(seed));

    [Fact]
    public void SameSeedGivesIdenticalMetrics() => SplitMethodTesting.SameSeedSameMetrics(seed => Create(seed));

    /// <summary>
    /// One client, one batch of 20: the round's global model equals one SGD step (lr 0.05, momentum 0.9) of the unsplit
    /// model on the same batch, bit for bit: fp32 activations up and gradients down make the cut exact, and averaging
    /// one client (n·x/n in double) returns its own weights. The batch is rebuilt with the loader the method uses, from
    /// the client stream its round context keys, so both see the images in the same order.
    /// </summary>
    [Fact]
    public void OneClientOneBatchEqualsCentralizedTraining()
    {
        const ulong seed = 5;
        var train = FedAvgTests.Synthetic(20, seed);
        var partition = new Partition("one", [Enumerable.Range(0, 20).ToArray()], train.Labels, SplitMethodTesting.Classes);
        var options = new FedAvgOptions(E: 1, B: 20, Lr: 0.05, Momentum: 0.9);
        var method = Create(seed, options);
        FlTesting.Runner(method, train, partition, [("train", train)], FedAvgTests.Norm, perRound: 1, seed).Run(1);

        var model = SplitMethodTesting.Model(seed);
        var client = new FlClientData(0, train, FedAvgTests.Norm);
        using var loader = LocalTraining.Loader(client, RoundContext.Stream(seed, 1, 0), options.B);
        var batch = Assert.Single(loader.Epoch(0));
        var sgd = new Sgd(model.Parameters(), options.Lr, options.Momentum);
        var tape = new Tape();
        tape.Backward(tape.CrossEntropy(model.Forward(tape, new Variable(batch.Images)), batch.Labels));
        sgd.Step();

        var expected = model.StateDict();
        var actual = method.Strategy.GlobalModel.StateDict();
        Assert.Equal(expected.Select(t => t.Name), actual.Select(t => t.Name));
        for (int t = 0; t < expected.Count; t++)
        {
            Assert.False(expected[t].Value.ToArray().SequenceEqual(SplitMethodTesting.Model(seed).StateDict()[t].Value.ToArray()), $"{expected[t].Name} did not move");
            Assert.Equal(expected[t].Value.ToArray(), actual[t].Value.ToArray());
        }
    }

    /// <summary>Per batch one Activations message up (with its labels) and one Gradients message down; front down and up once, and one round context down.</summary>
    [Fact]
    public void MessagesPerBatchAndRound()
    {
        var method = Create(3);
        var runner = SplitMethodTesting.Runner(method, 3, trainCount: 300);
        var m = runner.Run(1)[0];
        foreach (int c in m.Clients)
        {
            int batches = (runner.Partition.Indices[c].Length + 19) / 20;
            var mine = runner.Ledger.Entries.Where(e => e.Sender == c || e.Receiver == c).ToList();
            Assert.Equal(batches, mine.Count(e => e.Kind == MessageKind.Activations && e.Sender == c));
            Assert.Equal(batches, mine.Count(e => e.Kind == MessageKind.Gradients && e.Receiver == c));
            Assert.Equal(2, mine.Count(e => e.Kind == MessageKind.Weights));
            Assert.Equal(1, mine.Count(e => e.Phase == MessagePhase.Control && e.Receiver == c));
        }
    }

    /// <summary>The server answers only the clients it sampled for the round, so a stray request cannot touch a server copy.</summary>
    [Fact]
    public void TheServerRefusesRequestsFromClientsNotSampled()
    {
        var server = (SplitFed)Create(1).Strategy;
        server.ConfigureRound(new FlRound(2, [0, 3], 1));
        var activations = SplitModel.ActivationsMessage(2, 5, Tensor.Zeros(new Shape(1, 64, 5, 5)), [1]);
        Assert.Contains("not a sampled client of round 2", Assert.Throws<ArgumentException>(() => server.Handle(activations)).Message, StringComparison.Ordinal);
        var answer = server.Handle(SplitModel.ActivationsMessage(2, 3, Tensor.Zeros(new Shape(1, 64, 5, 5)), [1]));
        Assert.Equal((MessageKind.Gradients, 3, new Shape(1, 64, 5, 5)), (answer.Kind, answer.Receiver, answer[SplitFed.GradientName].Shape));
    }

    [Fact]
    public void SplitIndexMustLeaveLayersOnBothSides()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitFed(() => SplitMethodTesting.Model(1), 0, [1, 28, 28]));
        Assert.Throws<ArgumentOutOfRangeException>(() => new SplitFed(() => SplitMethodTesting.Model(1), 10, [1, 28, 28]));
    }
}
