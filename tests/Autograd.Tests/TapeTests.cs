using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

/// <summary>The tape's mechanics, with a test-only op (y = x·x element-wise) so nothing else is involved.</summary>
[Collection(nameof(AllocationCollection))]
public class TapeTests
{
    private static Variable Square(Tape tape, Variable x)
    {
        var y = tape.Intermediate(x.Shape);
        var xs = x.Data.Span;
        var ys = y.Data.Span;
        for (int i = 0; i < xs.Length; i++) ys[i] = xs[i] * xs[i];
        if (tape.Records(x)) tape.Record(new TapeEntry { Backward = SquareBackward, Output = y, A = x });
        return y;
    }

    private static readonly BackwardFn SquareBackward = static (ref readonly TapeEntry e) =>
    {
        var dX = e.A!.GradForAccumulation();
        if (dX is null) return;
        var dy = e.Output.Grad!.Span;
        var xs = e.A.Data.Span;
        var dx = dX.Span;
        for (int i = 0; i < dx.Length; i++) dx[i] += 2 * xs[i] * dy[i];
    };

    private static Variable Leaf(params float[] v) => new(Tensor.FromArray(v, new Shape(v.Length)), requiresGrad: true);

    private static Tensor Ones(int n) => Tensor.Full(new Shape(n), 1f);

    [Fact]
    public void BackwardAppliesTheChainRule()
    {
        var tape = new Tape();
        var x = Leaf(1, -2, 3);
        var y = Square(tape, Square(tape, x)); // x^4, derivative 4x^3
        tape.Backward(y, Ones(3));
        Assert.Equal([4f, -32f, 108f], x.Grad!.ToArray());
    }

    [Fact]
    public void GradientsAccumulateAcrossUsesAndSteps()
    {
        var tape = new Tape();
        var x = Leaf(2);
        tape.Backward(Square(tape, x), Ones(1));
        tape.Reset();
        tape.Backward(Square(tape, x), Ones(1));
        Assert.Equal(8f, x.Grad!.Span[0]);
        x.ZeroGrad();
        Assert.Equal(0f, x.Grad!.Span[0]);
    }

    [Fact]
    public void AnIntermediateGradientGoesBackToThePoolOnceItsOpHasRun()
    {
        var tape = new Tape();
        var observer = new Recorder();
        tape.Observer = observer;
        var x = Leaf(1, -2, 3);
        var y = Square(tape, x);
        var z = Square(tape, y);
        var w = Square(tape, z); // x^8, derivative 8x^7
        tape.Backward(w, Ones(3));
        Assert.Null(w.Grad);
        Assert.Null(z.Grad);
        Assert.Null(y.Grad);
        Assert.Equal([8f, -1024f, 17496f], x.Grad!.ToArray());
        // dW was given back after w's rule ran, so dY (rented while z's rule ran) reuses its buffer.
        Assert.Same(observer.GradArrays[0], observer.GradArrays[2]);
    }

    [Fact]
    public void SecondBackwardBeforeResetCountsEachPathOnce()
    {
        var tape = new Tape();
        var x = Leaf(1, -2, 3);
        var y = Square(tape, Square(tape, x));
        tape.Backward(y, Ones(3));
        tape.Backward(y, Ones(3));
        Assert.Equal([8f, -64f, 216f], x.Grad!.ToArray());
    }

    [Fact]
    public void ReleaseSinceKeepsEarlierIntermediatesTheOutputAndWhatItViews()
    {
        var tape = new Tape();
        var x = Leaf(1, 2, 3, 4);
        using (tape.NoGrad())
        {
            var a = Square(tape, x);
            int mark = tape.IntermediateCount;
            var view = tape.IntermediateView(Square(tape, Square(tape, a)), new Shape(2, 2));
            tape.ReleaseSince(mark, view);
            Assert.Equal(mark + 2, tape.IntermediateCount);
            var fresh = Square(tape, x); // takes the released buffer of Square(tape, a), not the view's storage
            Assert.Equal([1f, 4f, 9f, 16f], a.Data.ToArray());
            Assert.Equal([1f, 256f, 6561f, 65536f], view.Data.ToArray());
            Assert.Equal([1f, 4f, 9f, 16f], fresh.Data.ToArray());
        }
        tape.Reset();
    }

    [Fact]
    public void ReleaseSinceWhileRecordingKeepsEverything()
    {
        var tape = new Tape();
        var x = Leaf(1, 2);
        var y = Square(tape, Square(tape, x));
        tape.ReleaseSince(0, y);
        Assert.Equal(2, tape.IntermediateCount);
        tape.Backward(y, Ones(2));
        Assert.Equal([4f, 32f], x.Grad!.ToArray());
    }

    [Fact]
    public void NoGradScopeRecordsNothing()
    {
        var tape = new Tape();
        var x = Leaf(1, 2);
        using (tape.NoGrad())
        {
            Square(tape, x);
            Assert.False(tape.IsRecording);
        }
        Assert.Equal(0, tape.Count);
        Assert.True(tape.IsRecording);
    }

    [Fact]
    public void FrozenAndDetachedInputsGetNoGradient()
    {
        var tape = new Tape();
        var frozen = Leaf(3);
        frozen.RequiresGrad = false;
        Assert.Equal(0, Count(tape, Square(tape, frozen)));
        var x = Leaf(3);
        var detached = Square(tape, x).Detach();
        var y = Square(tape, detached);
        Assert.False(y.RequiresGrad);
        Assert.Null(x.Grad);
    }

    [Fact]
    public void BackwardRejectsNonScalarLoss()
    {
        var tape = new Tape();
        var y = Square(tape, Leaf(1, 2));
        Assert.Contains("scalar", Assert.Throws<ArgumentException>(() => tape.Backward(y)).Message);
    }

    [Fact]
    public void SteadyStateStepAllocatesNothing()
    {
        var tape = new Tape();
        var x = Leaf(1, 2, 3, 4);
        var seed = Ones(4);
        for (int i = 0; i < 3; i++) Step();
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10; i++) Step();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);

        void Step()
        {
            tape.Backward(Square(tape, Square(tape, x)), seed);
            tape.Reset();
            x.ZeroGrad();
        }
    }

    [Fact]
    public void GradCheckAcceptsACorrectBackward() =>
        OpCheck.Gradients((t, v) => Square(t, Square(t, v[0])), OpCheck.Random(new Shape(5), seed: 1));

    [Fact]
    public void ObserverSeesEveryRecordThenEveryBackwardInReverse()
    {
        var tape = new Tape();
        var observer = new Recorder();
        tape.Observer = observer;
        var x = Leaf(1, 2);
        var y = Square(tape, x);
        var z = Square(tape, y);
        tape.Backward(z, Ones(2));
        Assert.Equal(["record 2", "record 2", "backward", "backward"], observer.Events);
        Assert.Same(z, observer.BackwardOutputs[0]);
        Assert.Same(y, observer.BackwardOutputs[1]);
    }

    private sealed class Recorder : ITapeObserver
    {
        public List<string> Events { get; } = [];

        public List<Variable> BackwardOutputs { get; } = [];

        public List<float[]> GradArrays { get; } = [];

        public void Recorded(ref readonly TapeEntry entry) => Events.Add($"record {entry.Output.Data.Length}");

        public void BackwardRan(ref readonly TapeEntry entry, long startTimestamp, long endTimestamp)
        {
            Assert.True(endTimestamp >= startTimestamp);
            Events.Add("backward");
            BackwardOutputs.Add(entry.Output);
            GradArrays.Add(entry.Output.Grad!.Array);
        }
    }

    private static int Count(Tape tape, Variable _) => tape.Count;
}
