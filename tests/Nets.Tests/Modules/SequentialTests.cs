using NanoFed.Autograd;
using NanoFed.Nets.Modules;
using NanoFed.Tests.Models;
using Xunit;

namespace NanoFed.Tests.Modules;

/// <summary>Split: front then back equals the whole model bit for bit, forward and backward, at every cut.</summary>
public class SequentialTests
{
    [Theory]
    [InlineData("resnet20a")]
    [InlineData("resnet20b")]
    [InlineData("smallcnn")]
    public void FrontThenBackIsTheWholeModelAtEveryIndex(string name)
    {
        var model = ModelCatalogTests.Build(name);
        var input = Vgg11Tests.Random(name.StartsWith("small", StringComparison.Ordinal) ? new Shape(2, 1, 28, 28) : new Shape(2, 3, 32, 32), 3);
        var (wholeY, wholeGrads) = Run(model, model, null, input);
        for (int index = 0; index <= model.Count; index++)
        {
            var (front, back) = model.Split(index);
            Assert.Equal(index, front.Count);
            Assert.Equal(model.Count - index, back.Count);
            var (y, grads) = Run(model, front, back, input);
            Close.Identical(wholeY, y, $"{name} split at {index}: output");
            for (int i = 0; i < grads.Count; i++) Close.Identical(wholeGrads[i], grads[i], $"{name} split at {index}: gradient {i}");
        }
    }

    [Fact]
    public void PartsShareParametersAndKeepTheWholeModelsNames()
    {
        var model = ModelCatalogTests.Build("vgg11bn");
        var (front, back) = model.Split(8);
        var whole = model.NamedParameters();
        var parts = front.NamedParameters().Concat(back.NamedParameters()).ToList();
        Assert.Equal(whole.Count, parts.Count);
        for (int i = 0; i < whole.Count; i++)
        {
            Assert.Equal(whole[i].Name, parts[i].Name);
            Assert.Same(whole[i].Parameter, parts[i].Parameter);
        }
        Assert.Equal("features.8.weight", back.NamedParameters()[0].Name);
    }

    [Fact]
    public void FrozenFrontWithoutTapeGivesTheBackTheWholeModelsGradients()
    {
        var input = Vgg11Tests.Random(new Shape(2, 3, 32, 32), 6);
        var reference = ModelCatalogTests.Build("resnet20a");
        var (refFront, _) = reference.Split(6);
        refFront.Freeze();
        var (wholeY, wholeGrads) = Run(reference, reference, null, input, skipMissing: true);

        var model = ModelCatalogTests.Build("resnet20a");
        var (front, back) = model.Split(6);
        front.Freeze();
        var tape = new Tape();
        Variable a;
        using (tape.NoGrad()) a = front.Forward(tape, new Variable(input));
        Assert.Equal(0, tape.Count);
        var y = back.Forward(tape, a);
        tape.Backward(tape.CrossEntropy(y, [1, 7]));
        Close.Identical(wholeY, y.Data.Span, "output");
        var grads = back.Parameters().Select(p => p.Grad!.ToArray()).ToList();
        Assert.Equal(wholeGrads.Count, grads.Count);
        for (int i = 0; i < grads.Count; i++) Close.Identical(wholeGrads[i], grads[i], $"gradient {i}");
        Assert.All(front.Parameters(), p => Assert.Null(p.Grad));
        tape.Reset();
    }

    [Theory]
    [InlineData("resnet20a")]
    [InlineData("vgg11bn")]
    public void InferenceHoldsOnlyTheOutputAndMatchesTheRecordedForward(string name)
    {
        var model = ModelCatalogTests.Build(name);
        model.Eval();
        var input = Vgg11Tests.Random(new Shape(2, 3, 32, 32), 5);
        var tape = new Tape();
        var recorded = model.Forward(tape, new Variable(input)).Data.ToArray();
        // Fused runs (conv, batch norm, ReLU) make fewer outputs than children, but one per run or more.
        Assert.True(tape.IntermediateCount >= model.Count / 2, "a recorded forward keeps the layers' outputs");
        tape.Reset();
        Variable y;
        using (tape.NoGrad()) y = model.Forward(tape, new Variable(input));
        // Inference folds batch norm into the convolutions: equal up to rounding.
        Close.Assert(recorded, y.Data.Span, $"{name} inference output", rtol: 1e-4, atol: 1e-4);
        Assert.Equal(1, tape.IntermediateCount);
        tape.Reset();
    }

    [Fact]
    public void SplitOutsideTheModelThrows()
    {
        var model = ModelCatalogTests.Build("smallcnn");
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Split(-1));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.Split(model.Count + 1));
    }

    // One training-mode step (running statistics move, but the outputs use batch statistics), returning the
    // output and every parameter gradient of the whole model (only the existing ones with skipMissing).
    private static (float[] Y, List<float[]> Grads) Run(Sequential whole, Sequential first, Sequential? second, Tensor input,
        bool skipMissing = false)
    {
        whole.ZeroGrad();
        var tape = new Tape();
        var y = first.Forward(tape, new Variable(input));
        if (second != null) y = second.Forward(tape, y);
        var loss = tape.CrossEntropy(y, [1, 7]);
        tape.Backward(loss);
        var result = (y.Data.ToArray(), whole.Parameters().Where(p => !skipMissing || p.Grad != null).Select(p => p.Grad!.ToArray()).ToList());
        tape.Reset();
        return result;
    }
}
