using NanoFed.Autograd;
using BatchNormMode = NanoFed.Kernels.BatchNormMode;
using NanoFed.Nets.Modules;
using NanoFed.Tests.Models;
using Xunit;

namespace NanoFed.Tests.Modules;

/// <summary>Module bookkeeping: names, state_dict round trips and errors, modes, freezing, zeroing.</summary>
public class ModuleTests
{
    private static Sequential Net() => new(
        ("conv", new Conv2d(2, 4, 3, new RngStream(1, 0), padding: 1, bias: false)),
        ("bn", new BatchNorm2d(4)),
        ("relu", new ReLU()),
        ("head", new Sequential(new GlobalAvgPool2d(), new Linear(4, 3, new RngStream(1, 1)))));

    [Fact]
    public void NamesAreDottedPathsInPyTorchOrder()
    {
        Assert.Equal(["conv.weight", "bn.weight", "bn.bias", "head.1.weight", "head.1.bias"], Net().NamedParameters().Select(p => p.Name));
        Assert.Equal(["conv.weight", "bn.weight", "bn.bias", "bn.running_mean", "bn.running_var", "bn.num_batches_tracked", "head.1.weight", "head.1.bias"],
            Net().StateDict().Select(e => e.Name));
        Assert.Empty(new BatchNorm2d(3, batchStatsAlways: true).NamedBuffers());
    }

    [Fact]
    public void LoadStateDictCopiesIntoTheSameTensors()
    {
        var a = Net();
        var b = Net();
        foreach (var (_, t) in a.StateDict()) new RngStream(4, 4).FillNormal(t.Span);
        // A variance is never negative: a state that says so is refused (LoadStateDictRefusesPoison).
        foreach (var (name, t) in a.StateDict().Where(e => e.Name.EndsWith("running_var", StringComparison.Ordinal)))
            System.Numerics.Tensors.TensorPrimitives.Abs(t.Span, t.Span);
        var weight = b.Parameters()[0];
        b.LoadStateDict(a.StateDict().ToDictionary(e => e.Name, e => e.Value));
        Assert.Same(weight, b.Parameters()[0]);
        var sa = a.StateDict();
        var sb = b.StateDict();
        for (int i = 0; i < sa.Count; i++) Close.Identical(sa[i].Value.Span, sb[i].Value.Span, sa[i].Name);
    }

    [Theory]
    [InlineData("conv.weight", float.NaN, "conv.weight holds 1 non-finite value(s) of 72")]
    [InlineData("head.1.bias", float.PositiveInfinity, "head.1.bias holds 1 non-finite value(s) of 3")]
    [InlineData("bn.running_var", -0.5f, "bn.running_var holds a negative variance")]
    public void LoadStateDictRefusesPoison(string name, float poison, string message)
    {
        var net = Net();
        var before = net.Parameters()[0].Data.ToArray();
        var state = Net().StateDict().ToDictionary(e => e.Name, e => e.Value.Clone());
        state[name].Span[state[name].Length - 1] = poison;
        Assert.Contains(message, Assert.Throws<ArgumentException>(() => net.LoadStateDict(state)).Message, StringComparison.Ordinal);
        Close.Identical(before, net.Parameters()[0].Data.Span, "conv.weight after a refused load");
    }

    [Fact]
    public void LoadStateDictNamesEveryProblemAndChangesNothing()
    {
        var net = Net();
        var before = net.Parameters()[0].Data.ToArray();
        var state = Net().StateDict().ToDictionary(e => e.Name, e => e.Value.Clone());
        state.Remove("bn.running_var");
        state["extra.weight"] = Tensor.Zeros(new Shape(1));
        state["head.1.bias"] = Tensor.Zeros(new Shape(4));
        state["conv.weight"].Span.Fill(3f);
        var e = Assert.Throws<ArgumentException>(() => net.LoadStateDict(state));
        Assert.Contains("missing bn.running_var", e.Message, StringComparison.Ordinal);
        Assert.Contains("unexpected extra.weight", e.Message, StringComparison.Ordinal);
        Assert.Contains("head.1.bias: module [3], state [4]", e.Message, StringComparison.Ordinal);
        Close.Identical(before, net.Parameters()[0].Data.Span, "conv.weight after a failed load");

        state["head.1.bias"] = Tensor.Zeros(new Shape(3));
        net.LoadStateDict(state, strict: false);
        Assert.Equal(3f, net.Parameters()[0].Data.Span[0]);
    }

    [Fact]
    public void ModeReachesEveryDescendantAndSelectsTheBatchNormMode()
    {
        var net = Net();
        var bn = (BatchNorm2d)net.Children[1].Value;
        Assert.Equal(BatchNormMode.Train, bn.Mode);
        net.Eval();
        Assert.False(((Sequential)net.Children[3].Value)[1].IsTraining);
        Assert.Equal(BatchNormMode.Eval, bn.Mode);
        Assert.Equal(BatchNormMode.BatchStatsAlways, new BatchNorm2d(2, batchStatsAlways: true).Mode);
    }

    [Fact]
    public void TrainingForwardUpdatesRunningStatisticsEvalDoesNot()
    {
        var net = Net();
        var bn = (BatchNorm2d)net.Children[1].Value;
        var tape = new Tape();
        var x = new Variable(Vgg11Tests.Random(new Shape(2, 2, 5, 5), 1));
        net.Forward(tape, x);
        Assert.Equal(1f, bn.NumBatchesTracked!.Span[0]);
        var mean = bn.RunningMean!.ToArray();
        Assert.Contains(mean, v => v != 0);
        net.Eval();
        net.Forward(tape, x);
        Assert.Equal(1f, bn.NumBatchesTracked.Span[0]);
        Close.Identical(mean, bn.RunningMean.Span, "running mean after an eval forward");
        tape.Reset();
    }

    [Fact]
    public void FreezeStopsGradientsZeroGradClearsThem()
    {
        var net = Net();
        var tape = new Tape();
        var x = new Variable(Vgg11Tests.Random(new Shape(2, 2, 5, 5), 1));
        tape.Backward(tape.CrossEntropy(net.Forward(tape, x), [0, 2]));
        Assert.All(net.Parameters(), p => Assert.Contains(p.Grad!.ToArray(), v => v != 0));
        net.ZeroGrad();
        Assert.All(net.Parameters(), p => Assert.All(p.Grad!.ToArray(), v => Assert.Equal(0f, v)));
        tape.Reset();

        var head = net.Children[3].Value;
        net.Freeze();
        head.Unfreeze();
        tape.Backward(tape.CrossEntropy(net.Forward(tape, x), [0, 2]));
        Assert.All(net.Parameters().Take(3), p => Assert.False(p.RequiresGrad));
        Assert.All(net.Parameters().Take(3), p => Assert.All(p.Grad!.ToArray(), v => Assert.Equal(0f, v)));
        Assert.Contains(head.Parameters()[0].Grad!.ToArray(), v => v != 0);
        tape.Reset();
    }

    [Fact]
    public void DropoutIsTheIdentityInEvalAndReproducibleInTraining()
    {
        var x = new Variable(Vgg11Tests.Random(new Shape(4, 50), 2));
        var tape = new Tape();
        var a = new Dropout(0.5f, new RngStream(3, 1));
        var b = new Dropout(0.5f, new RngStream(3, 1));
        var ya = a.Forward(tape, x).Data.ToArray();
        Close.Identical(ya, b.Forward(tape, x).Data.Span, "same stream, same mask");
        Assert.Contains(ya, v => v == 0);
        a.Eval();
        Assert.Same(x, a.Forward(tape, x));
        tape.Reset();
    }

    [Fact]
    public void StateDictRoundTripsThroughSafetensors()
    {
        var a = ModelCatalogTests.Build("resnet20b", seed: 1);
        a.Forward(new Tape(), new Variable(Vgg11Tests.Random(new Shape(2, 3, 32, 32), 5)));
        string path = Path.Combine(Path.GetTempPath(), $"nanofed-module-{Environment.ProcessId}.safetensors");
        try
        {
            NanoFed.Nets.Checkpoints.SafeTensors.Write(path, a.StateDict());
            var b = ModelCatalogTests.Build("resnet20b", seed: 2);
            b.LoadStateDict(NanoFed.Nets.Checkpoints.SafeTensors.Read(path).Tensors);
            var sa = a.StateDict();
            var sb = b.StateDict();
            for (int i = 0; i < sa.Count; i++) Close.Identical(sa[i].Value.Span, sb[i].Value.Span, sa[i].Name);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void DuplicateNamesAreRejected()
    {
        var s = new Sequential(("a", new ReLU()));
        Assert.Throws<ArgumentException>(() => s.Add("a", new ReLU()));
    }
}
