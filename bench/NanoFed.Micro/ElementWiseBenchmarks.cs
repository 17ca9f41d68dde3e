using BenchmarkDotNet.Attributes;
using NanoFed.Kernels;

namespace NanoFed.Micro;

/// <summary>Batch norm (training mode) and ReLU, forward and backward, on ResNet-20's first stage: (128, 16, 32, 32).</summary>
public class ElementWiseBenchmarks
{
    private const int N = 128, C = 16, HW = 32 * 32;
    private float[] _x = [], _y = [], _dY = [], _dX = [], _gamma = [], _beta = [], _mean = [], _invStd = [];
    private float[] _runningMean = [], _runningVar = [], _dGamma = [], _dBeta = [];

    [GlobalSetup]
    public void Setup()
    {
        const int n = 3, hw = 25;
        float[] x = Data.Uniform(n * C * hw, 1), g = Data.Uniform(C, 2), b = Data.Uniform(C, 3), dY = Data.Uniform(n * C * hw, 4);
        float[] y = new float[x.Length], yRef = new float[x.Length], m = new float[C], s = new float[C], mRef = new float[C], sRef = new float[C];
        BatchNorm2d.Forward(x, g, b, y, m, s, [], [], n, C, hw, BatchNormMode.BatchStatsAlways);
        BatchNorm2d.ForwardReference(x, g, b, yRef, mRef, sRef, [], [], n, C, hw, BatchNormMode.BatchStatsAlways);
        Data.Check("batch norm forward", y, yRef);
        float[] dX = new float[x.Length], dXRef = new float[x.Length], dG = new float[C], dGRef = new float[C], dB = new float[C], dBRef = new float[C];
        BatchNorm2d.Backward(x, dY, g, m, s, dX, dG, dB, n, C, hw, BatchNormMode.BatchStatsAlways);
        BatchNorm2d.BackwardReference(x, dY, g, mRef, sRef, dXRef, dGRef, dBRef, n, C, hw, BatchNormMode.BatchStatsAlways);
        Data.Check("batch norm backward dX", dX, dXRef);
        Relu.Forward(x, y);
        Relu.ForwardReference(x, yRef);
        Data.Check("relu forward", y, yRef);

        _x = Data.Uniform(N * C * HW, 5);
        _dY = Data.Uniform(N * C * HW, 6);
        _y = new float[_x.Length];
        _dX = new float[_x.Length];
        _gamma = Data.Uniform(C, 7);
        _beta = Data.Uniform(C, 8);
        (_mean, _invStd, _runningMean, _runningVar, _dGamma, _dBeta) = (new float[C], new float[C], new float[C], new float[C], new float[C], new float[C]);
    }

    [Benchmark]
    public void BatchNormForward() =>
        BatchNorm2d.Forward(_x, _gamma, _beta, _y, _mean, _invStd, _runningMean, _runningVar, N, C, HW, BatchNormMode.Train);

    [Benchmark]
    public void BatchNormBackward() =>
        BatchNorm2d.Backward(_x, _dY, _gamma, _mean, _invStd, _dX, _dGamma, _dBeta, N, C, HW, BatchNormMode.Train);

    [Benchmark]
    public void ReluForward() => Relu.Forward(_x, _y);

    [Benchmark]
    public void ReluBackward() => Relu.Backward(_x, _dY, _dX);
}
