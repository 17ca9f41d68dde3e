using BenchmarkDotNet.Attributes;
using NanoFed.Kernels;

namespace NanoFed.Micro;

/// <summary>
/// 3x3 convolution, pad 1, batch 128: forward, backward-data and backward-weight at a ResNet-20 shape (C=K=16,
/// 32×32) and a VGG11 shape (C=128, K=256, 8×8), as `nanofed bench`'s "conv3x3 …" cases. The backward passes
/// accumulate into their outputs across iterations; the values grow, the work does not change.
/// </summary>
public class ConvBenchmarks
{
    private Conv2dGeometry _g;
    private float[] _x = [], _w = [], _y = [], _dY = [], _dX = [], _dW = [];

    /// <summary>"C,K,HW" of the layer.</summary>
    [Params("16,16,32", "128,256,8")]
    public string Layer { get; set; } = "16,16,32";

    [GlobalSetup]
    public void Setup()
    {
        int[] l = Layer.Split(',').Select(int.Parse).ToArray();
        var small = Conv2dGeometry.Create(2, l[0], l[2], l[2], l[1], 3, 3, 1, 1);
        float[] x = Data.Uniform(small.XLength, 1), w = Data.Uniform(small.WLength, 2), dY = Data.Uniform(small.YLength, 3);
        Validate("forward", small.YLength, o => Conv2d.Forward(x, w, [], o, small), o => Conv2d.ForwardReference(x, w, [], o, small));
        Validate("backward-data", small.XLength, o => Conv2d.BackwardData(dY, w, o, small), o => Conv2d.BackwardDataReference(dY, w, o, small));
        Validate("backward-weight", small.WLength, o => Conv2d.BackwardWeight(x, dY, o, [], small), o => Conv2d.BackwardWeightReference(x, dY, o, [], small));

        _g = Conv2dGeometry.Create(128, l[0], l[2], l[2], l[1], 3, 3, 1, 1);
        _x = Data.Uniform(_g.XLength, 4);
        _w = Data.Uniform(_g.WLength, 5);
        _dY = Data.Uniform(_g.YLength, 6);
        _y = new float[_g.YLength];
        _dX = new float[_g.XLength];
        _dW = new float[_g.WLength];
    }

    [Benchmark]
    public void Forward() => Conv2d.Forward(_x, _w, [], _y, _g);

    [Benchmark]
    public void BackwardData() => Conv2d.BackwardData(_dY, _w, _dX, _g);

    [Benchmark]
    public void BackwardWeight() => Conv2d.BackwardWeight(_x, _dY, _dW, [], _g);

    private void Validate(string pass, int length, Action<float[]> fast, Action<float[]> reference)
    {
        float[] a = new float[length], b = new float[length];
        fast(a);
        reference(b);
        Data.Check($"conv3x3 {pass} {Layer}", a, b);
    }
}
