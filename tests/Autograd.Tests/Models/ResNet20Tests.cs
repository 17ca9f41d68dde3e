using NanoFed.Autograd;
using NanoFed.Kernels;
using NanoFed.Threading;
using Xunit;

namespace NanoFed.Tests.Models;

/// <summary>
/// A whole ResNet-20 (CIFAR, option-A shortcuts) built from the tape's ops, forward and backward on a batch of 8
/// with PyTorch's weights, against PyTorch (computed in float64): loss, logits, every parameter gradient and the
/// updated running statistics. Then the same step on 1 and on 2 worker threads, bit for bit.
/// </summary>
[Collection(nameof(WorkerCountCollection))]
public class ResNet20Tests
{
    private static readonly Fixture Fx = Fixture.Load("resnet20");

    [Fact]
    public void ForwardAndBackwardMatchPyTorch()
    {
        var net = new ResNet20(Fx);
        var tape = new Tape();
        var (logits, loss) = net.Step(tape, Fx.Tensor("x"), Labels());
        Close.Assert(Fx.Values("logits"), logits.Data.Span, "logits");
        Close.Assert(Fx.Values("loss"), loss.Data.Span, "loss");
        foreach (var (name, p) in net.Parameters)
            Close.Assert(Fx.Values("grad." + name), p.Grad!.Span, "d" + name);
        foreach (var (name, b) in net.Buffers)
            Close.Assert(Fx.Values("buffer." + name), b.Span, name);
        // conv1 + bn1 (3), nine blocks of two convs and two batch norms (54), linear (2).
        Assert.Equal(59, net.Parameters.Count);
        tape.Reset();
    }

    [Fact]
    public void OneAndTwoThreadsGiveIdenticalBits()
    {
        int saved = Workers.Count;
        try
        {
            var runs = new List<float[]>[2];
            for (int t = 1; t <= 2; t++)
            {
                Workers.Count = t;
                var net = new ResNet20(Fx);
                var tape = new Tape();
                var (logits, loss) = net.Step(tape, Fx.Tensor("x"), Labels());
                runs[t - 1] = [logits.Data.ToArray(), loss.Data.ToArray(), .. net.Parameters.Select(p => p.Var.Grad!.ToArray())];
                tape.Reset();
            }
            for (int i = 0; i < runs[0].Count; i++) Close.Identical(runs[0][i], runs[1][i], $"output {i}");
        }
        finally
        {
            Workers.Count = saved;
        }
    }

    private static int[] Labels() => Fx.Values("labels").Select(v => (int)v).ToArray();

    /// <summary>The network as plain calls on the tape; the Nets layer will give it modules.</summary>
    private sealed class ResNet20
    {
        public readonly List<(string Name, Variable Var)> Parameters = [];
        public readonly List<(string Name, Tensor Value)> Buffers = [];
        private readonly Fixture _fx;

        public ResNet20(Fixture fx) => _fx = fx;

        public (Variable Logits, Variable Loss) Step(Tape tape, Tensor input, int[] labels)
        {
            var x = new Variable(input);
            var h = tape.Relu(Bn(tape, tape.Conv2d(x, P("conv1.weight"), null, 1, 1), "bn1"));
            int cin = 16;
            foreach (var (stage, cout, stride) in new[] { (1, 16, 1), (2, 32, 2), (3, 64, 2) })
            {
                for (int b = 0; b < 3; b++)
                {
                    string n = $"layer{stage}.{b}.";
                    int s = b == 0 ? stride : 1;
                    var y = tape.Relu(Bn(tape, tape.Conv2d(h, P(n + "conv1.weight"), null, s, 1), n + "bn1"));
                    y = Bn(tape, tape.Conv2d(y, P(n + "conv2.weight"), null, 1, 1), n + "bn2");
                    var shortcut = s != 1 || cin != cout ? tape.ShortcutA(h, cout) : h;
                    h = tape.Relu(tape.Add(y, shortcut));
                    cin = cout;
                }
            }
            var logits = tape.Linear(tape.GlobalAvgPool(h), P("linear.weight"), P("linear.bias"));
            var loss = tape.CrossEntropy(logits, labels);
            tape.Backward(loss);
            return (logits, loss);
        }

        private Variable Bn(Tape tape, Variable x, string name)
        {
            var mean = Tensor.Zeros(new Shape(x.Shape[1]));
            var variance = Tensor.Full(new Shape(x.Shape[1]), 1f);
            Buffers.Add((name + ".running_mean", mean));
            Buffers.Add((name + ".running_var", variance));
            return tape.BatchNorm2d(x, P(name + ".weight"), P(name + ".bias"), mean, variance, BatchNormMode.Train);
        }

        private Variable P(string name)
        {
            var v = new Variable(_fx.Tensor("param." + name), requiresGrad: true, name);
            Parameters.Add((name, v));
            return v;
        }
    }
}
