using NanoFed.Autograd;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests.Models;

/// <summary>
/// The module ResNet-20 (option A) with the weights of tests/fixtures/resnet20.safetensors (PyTorch, float64)
/// reproduces its logits, loss, every parameter gradient and the running statistics after one training step.
/// </summary>
public class ResNetCifarTests
{
    private static readonly string FixturePath = Path.Combine(Fixture.Directory, "resnet20.safetensors");

    [Fact]
    public void ForwardAndBackwardMatchPyTorch()
    {
        var (tensors, _) = SafeTensors.Read(FixturePath);
        var model = ResNetCifar.ResNet20(ResNetShortcut.A, new RngStream(7, 0));
        var state = model.StateDict().ToDictionary(e => e.Name, e => e.Value);
        foreach (var (name, value) in tensors)
        {
            if (name.StartsWith("param.", StringComparison.Ordinal)) state[name["param.".Length..]] = value;
        }
        model.LoadStateDict(state);

        var tape = new Tape();
        var logits = model.Forward(tape, new Variable(tensors["x"]));
        int[] labels = tensors["labels"].ToArray().Select(v => (int)v).ToArray();
        var loss = tape.CrossEntropy(logits, labels);
        tape.Backward(loss);

        Close.Assert(tensors["logits"].Span, logits.Data.Span, "logits");
        Close.Assert(tensors["loss"].Span, loss.Data.Span, "loss");
        var parameters = model.NamedParameters();
        Assert.Equal(59, parameters.Count);
        foreach (var (name, p) in parameters) Close.Assert(tensors["grad." + name].Span, p.Grad!.Span, "d" + name);
        foreach (var (name, b) in model.NamedBuffers())
        {
            if (name.EndsWith("num_batches_tracked", StringComparison.Ordinal)) Assert.Equal(1f, b.Span[0]);
            else Close.Assert(tensors["buffer." + name].Span, b.Span, name);
        }
        tape.Reset();
    }

    [Fact]
    public void ChildrenAreTheStemTheBlocksThePoolAndTheHead()
    {
        var model = ResNetCifar.ResNet20(ResNetShortcut.A, new RngStream(1, 0));
        Assert.Equal(["conv1", "bn1", "relu", "layer1.0", "layer1.1", "layer1.2", "layer2.0", "layer2.1", "layer2.2",
            "layer3.0", "layer3.1", "layer3.2", "avgpool", "linear"], model.Children.Select(c => c.Name));
        Assert.Equal(9 * 3 + 3, ResNetCifar.ResNet56(ResNetShortcut.A, new RngStream(1, 0)).Count - 2);
    }

    [Fact]
    public void OptionBAddsProjectionShortcutsOnlyWhereTheWidthChanges()
    {
        var names = ResNetCifar.ResNet20(ResNetShortcut.B, new RngStream(1, 0)).NamedParameters().Select(p => p.Name).ToList();
        Assert.Equal(["layer2.0.shortcut.0.weight", "layer2.0.shortcut.1.weight", "layer2.0.shortcut.1.bias",
            "layer3.0.shortcut.0.weight", "layer3.0.shortcut.1.weight", "layer3.0.shortcut.1.bias"],
            names.Where(n => n.Contains("shortcut", StringComparison.Ordinal)));
    }

    [Fact]
    public void ConvAndLinearWeightsAreKaimingNormalFanIn()
    {
        var model = ResNetCifar.ResNet56(ResNetShortcut.A, new RngStream(3, 0));
        foreach (var (name, p) in model.NamedParameters())
        {
            if (p.Shape.Rank < 2) continue;
            double std = Math.Sqrt(2.0 / Init.FanIn(p.Shape));
            var (mean, sd) = Moments(p.Data.Span);
            Assert.True(Math.Abs(mean) < 4 * std / Math.Sqrt(p.Data.Length), $"{name}: mean {mean}");
            Assert.True(Math.Abs(sd / std - 1) < 0.25, $"{name}: std {sd}, expected {std}");
        }
    }

    [Fact]
    public void SameSeedSameWeights()
    {
        var a = ResNetCifar.ResNet20(ResNetShortcut.B, new RngStream(11, 2)).StateDict();
        var b = ResNetCifar.ResNet20(ResNetShortcut.B, new RngStream(11, 2)).StateDict();
        for (int i = 0; i < a.Count; i++) Close.Identical(a[i].Value.Span, b[i].Value.Span, a[i].Name);
    }

    internal static (double Mean, double Std) Moments(ReadOnlySpan<float> v)
    {
        double sum = 0, sq = 0;
        foreach (float x in v) { sum += x; sq += (double)x * x; }
        double mean = sum / v.Length;
        return (mean, Math.Sqrt(sq / v.Length - mean * mean));
    }
}
