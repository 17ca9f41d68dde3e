namespace NanoFed.Autograd;

/// <summary>The worst disagreement a gradient check found.</summary>
/// <param name="Input">Index of the input with the worst element.</param>
/// <param name="Element">Index of the element within that input.</param>
/// <param name="Analytic">Gradient from the backward pass.</param>
/// <param name="Numeric">Gradient from central differences.</param>
/// <param name="Excess">|analytic − numeric| − (atol + rtol·|numeric|); positive means the check failed.</param>
public readonly record struct GradCheckResult(int Input, int Element, double Analytic, double Numeric, double Excess)
{
    /// <summary>True when every element was within tolerance.</summary>
    public bool Passed => Excess <= 0;

    /// <summary>A one-line report.</summary>
    public override string ToString() =>
        $"input {Input} element {Element}: analytic {Analytic:G6}, numeric {Numeric:G6} ({(Passed ? "ok" : "FAILED")})";
}

/// <summary>
/// Checks a differentiable function's backward pass against central differences. The scalar probed is
/// L = Σ f(x)·g for a fixed random cotangent g, summed in double precision; each input element is moved by
/// ±h and L re-evaluated without recording. Use inputs away from kinks (ReLU at 0, max-pool ties).
/// </summary>
public static class GradCheck
{
    /// <summary>Runs the check on every element of every input that requires a gradient.</summary>
    /// <param name="f">Builds the output from the inputs on the given tape.</param>
    /// <param name="inputs">Inputs; their values are perturbed and restored.</param>
    /// <param name="seed">Seed of the cotangent.</param>
    /// <param name="h">Step of the central difference.</param>
    /// <param name="atol">Absolute tolerance.</param>
    /// <param name="rtol">Relative tolerance.</param>
    public static GradCheckResult Run(Func<Tape, Variable[], Variable> f, Variable[] inputs,
        int seed = 0, double h = 1e-2, double atol = 2e-3, double rtol = 2e-2)
    {
        ArgumentNullException.ThrowIfNull(f);
        ArgumentNullException.ThrowIfNull(inputs);
        var tape = new Tape();
        foreach (var x in inputs) x.Grad = null;
        var y = f(tape, inputs);
        var rng = new Random(seed);
        var cot = new float[y.Data.Length];
        for (int i = 0; i < cot.Length; i++) cot[i] = (float)(rng.NextDouble() * 2 - 1);
        using (var g = Tensor.FromArray(cot, y.Shape)) tape.Backward(y, g);
        var analytic = new float[inputs.Length][];
        for (int i = 0; i < inputs.Length; i++) analytic[i] = inputs[i].Grad?.ToArray() ?? [];
        tape.Reset();

        var worst = new GradCheckResult(-1, -1, 0, 0, double.NegativeInfinity);
        for (int i = 0; i < inputs.Length; i++)
        {
            if (!inputs[i].RequiresGrad) continue;
            var xs = inputs[i].Data.Span;
            for (int j = 0; j < xs.Length; j++)
            {
                float original = xs[j];
                float up = (float)(original + h), down = (float)(original - h);
                xs[j] = up;
                double plus = Probe(f, inputs, cot, tape);
                xs = inputs[i].Data.Span;
                xs[j] = down;
                double minus = Probe(f, inputs, cot, tape);
                xs = inputs[i].Data.Span;
                xs[j] = original;
                // The step actually taken, after rounding to float.
                double numeric = (plus - minus) / ((double)up - down);
                double a = analytic[i].Length > 0 ? analytic[i][j] : 0;
                double excess = Math.Abs(a - numeric) - (atol + rtol * Math.Abs(numeric));
                if (excess > worst.Excess) worst = new GradCheckResult(i, j, a, numeric, excess);
            }
        }
        return worst;
    }

    private static double Probe(Func<Tape, Variable[], Variable> f, Variable[] inputs, float[] cot, Tape tape)
    {
        double sum = 0;
        using (tape.NoGrad())
        {
            var y = f(tape, inputs).Data.Span;
            for (int k = 0; k < y.Length; k++) sum += (double)y[k] * cot[k];
        }
        tape.Reset();
        return sum;
    }
}
