using NanoFed.Autograd;
using Xunit;

namespace NanoFed.Tests;

/// <summary>The one helper every op test goes through: PyTorch fixtures and finite differences.</summary>
public static class OpCheck
{
    /// <summary>
    /// For every case of fixture <paramref name="fixture"/>: loads the inputs "case.{name}", runs
    /// <paramref name="f"/>, compares the output with "case.out", backpropagates the cotangent "case.gout"
    /// and compares each input's gradient with "case.grad.{name}" where the fixture has one. Inputs with a
    /// stored gradient require a gradient; the others do not.
    /// </summary>
    public static void AgainstTorch(string fixture, Func<Tape, Variable[], Fixture, string, Variable> f, params string[] inputs)
    {
        var fx = Fixture.Load(fixture);
        int cases = 0;
        foreach (string c in fx.Cases)
        {
            cases++;
            var vars = inputs.Select(n => new Variable(fx.Tensor($"{c}.{n}"), fx.Has($"{c}.grad.{n}"), n)).ToArray();
            var tape = new Tape();
            var y = f(tape, vars, fx, c);
            Close.Assert(fx.Values($"{c}.out"), y.Data.Span, $"{fixture}/{c} forward");
            if (!fx.Has($"{c}.gout")) continue;
            tape.Backward(y, fx.Tensor($"{c}.gout"));
            for (int i = 0; i < inputs.Length; i++)
            {
                if (!vars[i].RequiresGrad) continue;
                Assert.True(vars[i].Grad is not null, $"{fixture}/{c}: no gradient reached {inputs[i]}");
                Close.Assert(fx.Values($"{c}.grad.{inputs[i]}"), vars[i].Grad!.Span, $"{fixture}/{c} d{inputs[i]}");
            }
            tape.Reset();
        }
        Assert.True(cases > 0, $"fixture {fixture} has no cases");
    }

    /// <summary>Asserts that <paramref name="f"/>'s backward agrees with central differences on <paramref name="inputs"/>.</summary>
    public static void Gradients(Func<Tape, Variable[], Variable> f, params Variable[] inputs) =>
        Gradients(f, inputs, seed: 0);

    /// <summary>As <see cref="Gradients(Func{Tape, Variable[], Variable}, Variable[])"/> with a cotangent seed and tolerances.</summary>
    public static void Gradients(Func<Tape, Variable[], Variable> f, Variable[] inputs, int seed, double h = 1e-2, double atol = 2e-3, double rtol = 2e-2)
    {
        var r = GradCheck.Run(f, inputs, seed, h, atol, rtol);
        Assert.True(r.Passed, "gradient check: " + r);
    }

    /// <summary>A leaf variable of uniform values in [lo, hi) from a seeded generator.</summary>
    public static Variable Random(Shape shape, int seed, bool requiresGrad = true, float lo = -1, float hi = 1)
    {
        var rng = new Random(seed);
        var v = new float[shape.Length];
        for (int i = 0; i < v.Length; i++) v[i] = lo + (float)rng.NextDouble() * (hi - lo);
        return new Variable(NanoFed.Tensor.FromArray(v, shape), requiresGrad);
    }
}
