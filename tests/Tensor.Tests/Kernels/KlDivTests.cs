using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

[Trait("Category", "Kernel")]
public class KlDivTests
{
    public static readonly TheoryData<int, int, float> Shapes = new()
    {
        { 1, 1, 3f }, { 1, 3, 3f }, { 4, 10, 3f }, { 7, 17, 1f }, { 3, 100, 4f },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ForwardAndBackwardMatchReference(int n, int c, float temperature)
    {
        var s = KernelData.Uniform(n * c, n * 100 + c, scale: 4);
        var t = KernelData.Uniform(n * c, n * 100 + c + 1, scale: 4);
        var dS = KernelData.Uniform(n * c, 5);
        var dT = KernelData.Uniform(n * c, 6);
        var dSRef = (float[])dS.Clone();
        var dTRef = (float[])dT.Clone();
        float expected = KlDiv.Reference(s, t, temperature, 0.7f, dSRef, dTRef, n, c);
        var logPs = new float[n * c];
        var logPt = new float[n * c];
        float actual = KlDiv.Forward(s, t, temperature, logPs, logPt, n, c);
        KlDiv.BackwardStudent(logPs, logPt, temperature, 0.7f, dS, n, c);
        KlDiv.BackwardTeacher(logPs, logPt, temperature, 0.7f, dT, n, c);
        Close.Assert([expected], [actual], "loss");
        Close.Assert(dSRef, dS, "dStudent");
        Close.Assert(dTRef, dT, "dTeacher");
    }

    [Fact]
    public void IdenticalDistributionsGiveZero()
    {
        var s = KernelData.Uniform(30, 1, scale: 3);
        float loss = KlDiv.Forward(s, s, 3f, new float[30], new float[30], 3, 10);
        Assert.True(Math.Abs(loss) < 1e-6, $"loss {loss}");
    }
}
