using BenchmarkDotNet.Attributes;
using NanoFed.Kernels;

namespace NanoFed.Micro;

/// <summary>
/// What the communication-efficient methods spend their time on: Sparse-Push's top-k of a parameter vector
/// (ResNet-20's 272,474 and VGG11's 9.2 M parameters, keeping 1%) and EcoFed's 8-bit quantization of an activation
/// tensor of the same sizes.
/// </summary>
public class CompressionBenchmarks
{
    private float[] _v = [], _values = [];
    private int[] _indices = [];
    private sbyte[] _q = [];
    private float _scale;
    private int _k;

    /// <summary>Elements of the tensor.</summary>
    [Params(272_474, 9_231_114)]
    public int Length { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        float[] small = Data.Uniform(1000, 1);
        float[] values = new float[10], valuesRef = new float[10];
        int[] indices = new int[10], indicesRef = new int[10];
        TopK.Select(small, 10, values, indices);
        TopK.SelectReference(small, 10, valuesRef, indicesRef);
        if (!indices.AsSpan().SequenceEqual(indicesRef)) throw new InvalidOperationException("TopK.Select differs from its reference; not timed");
        sbyte[] q = new sbyte[small.Length], qRef = new sbyte[small.Length];
        float scale = Quantize.Scale(small, 8);
        Quantize.Nearest(small, scale, 8, q);
        Quantize.NearestReference(small, scale, 8, qRef);
        if (!q.AsSpan().SequenceEqual(qRef)) throw new InvalidOperationException("Quantize.Nearest differs from its reference; not timed");

        _v = Data.Uniform(Length, 2);
        _k = TopK.Count(Length, 0.01);
        _values = new float[_k];
        _indices = new int[_k];
        _q = new sbyte[Length];
        _scale = Quantize.Scale(_v, 8);
    }

    [Benchmark]
    public void TopKSelect() => TopK.Select(_v, _k, _values, _indices);

    [Benchmark]
    public void QuantizeInt8() => Quantize.Nearest(_v, _scale, 8, _q);
}
