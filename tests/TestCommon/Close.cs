using Xunit;

namespace NanoFed.Tests;

/// <summary>Element-wise closeness with the project tolerance and a max-difference report (llm.c style).</summary>
public static class Close
{
    /// <summary>The fixture tolerance: |actual − expected| ≤ atol + rtol·|expected|.</summary>
    public const double Rtol = 1e-4, Atol = 1e-5;

    /// <summary>Asserts every element is within tolerance; the message names the worst element.</summary>
    public static void Assert(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what, double rtol = Rtol, double atol = Atol)
    {
        Xunit.Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        int worst = -1;
        double worstExcess = double.NegativeInfinity, maxDiff = 0;
        for (int i = 0; i < expected.Length; i++)
        {
            double diff = Math.Abs((double)actual[i] - expected[i]);
            if (double.IsNaN(diff)) diff = double.PositiveInfinity;
            double excess = diff - (atol + rtol * Math.Abs(expected[i]));
            maxDiff = Math.Max(maxDiff, diff);
            if (excess > worstExcess) { worstExcess = excess; worst = i; }
        }
        if (worst >= 0 && worstExcess > 0)
            Xunit.Assert.Fail($"{what}: element {worst} is {actual[worst]:G9}, expected {expected[worst]:G9} (max |diff| {maxDiff:G3}, rtol {rtol}, atol {atol})");
    }

    /// <summary>Asserts two tensors are bit-identical.</summary>
    public static void Identical(ReadOnlySpan<float> expected, ReadOnlySpan<float> actual, string what)
    {
        Xunit.Assert.True(expected.Length == actual.Length, $"{what}: length {actual.Length}, expected {expected.Length}");
        for (int i = 0; i < expected.Length; i++)
        {
            if (BitConverter.SingleToInt32Bits(expected[i]) != BitConverter.SingleToInt32Bits(actual[i]))
                Xunit.Assert.Fail($"{what}: element {i} is {actual[i]:G9}, expected bit-identical {expected[i]:G9}");
        }
    }
}
