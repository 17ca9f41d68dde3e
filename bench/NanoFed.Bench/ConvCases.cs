using System.Globalization;
using NanoFed.Kernels;

namespace NanoFed.Bench;

/// <summary>
/// Convolution cases: the 3x3 layers of ResNet-20 and VGG11 (CIFAR, batch 128), forward, backward-data and
/// backward-weight. Names match bench/torch_conv_peer.py's lines, which time the same shapes in PyTorch.
/// </summary>
internal static class ConvCases
{
    /// <summary>The layer shapes (C, K, H = W, stride) at batch 128: ResNet-20's, then VGG11's.</summary>
    public static readonly (int C, int K, int HW, int Stride)[] Layers =
    [
        (3, 16, 32, 1), (16, 16, 32, 1), (16, 32, 32, 2), (32, 32, 16, 1), (32, 64, 16, 2), (64, 64, 8, 1),
        (3, 64, 32, 1), (64, 128, 16, 1), (128, 256, 8, 1), (256, 256, 8, 1), (256, 512, 4, 1), (512, 512, 4, 1), (512, 512, 2, 1),
    ];

    /// <summary>Batch size of every case.</summary>
    public const int Batch = 128;

    /// <summary>One "N,C,H,W,K,R,S,stride,pad" argument per layer with a case <paramref name="wanted"/> accepts, for the peer script.</summary>
    public static IEnumerable<string> PeerArguments(Func<string, bool> wanted) =>
        Layers.Where(l => Names(l.C, l.K, l.HW, l.Stride).Any(wanted))
            .Select(l => string.Join(',', new[] { Batch, l.C, l.HW, l.HW, l.K, 3, 3, l.Stride, 1 }.Select(v => v.ToString(CultureInfo.InvariantCulture))));

    /// <summary>The forward, backward-data and backward-weight case names of one layer.</summary>
    private static string[] Names(int c, int k, int hw, int stride)
    {
        string shape = $"C={c} K={k} HW={hw} s={stride} N={Batch}";
        return [$"conv3x3 fwd {shape}", $"conv3x3 bwd_data {shape}", $"conv3x3 bwd_weight {shape}"];
    }

    /// <summary>Three cases per layer, those <paramref name="wanted"/> accepts; a layer's buffers are allocated only if one of its cases is wanted.</summary>
    public static IEnumerable<BenchCase> All(Func<string, bool> wanted)
    {
        foreach (var (c, k, hw, stride) in Layers)
        {
            string[] names = Names(c, k, hw, stride);
            if (!names.Any(wanted)) continue;
            var g = Conv2dGeometry.Create(Batch, c, hw, hw, k, 3, 3, stride, 1);
            var rng = new Random(c * 1000 + k + hw);
            float[] x = Random(rng, g.XLength), w = Random(rng, g.WLength), dY = Random(rng, g.YLength);
            float[] y = new float[g.YLength], dX = new float[g.XLength], dW = new float[g.WLength];
            double flops = 2.0 * g.N * g.K * g.C * g.R * g.S * g.P * g.Q;
            Func<string?> validate = () => Validate(c, k, hw, stride);
            var plan = Conv2d.Plan(g);
            BenchCase[] cases =
            [
                new(names[0], flops, validate, () => Conv2d.Forward(x, w, [], y, g), plan.Forward),
                new(names[1], flops, validate, () => Conv2d.BackwardData(dY, w, dX, g), plan.BackwardData),
                new(names[2], flops, validate, () => Conv2d.BackwardWeight(x, dY, dW, [], g), plan.BackwardWeight),
            ];
            foreach (var one in cases)
                if (wanted(one.Name)) yield return one;
        }
    }

    /// <summary>The three kernels against their references on this layer's shape at batch 3.</summary>
    private static string? Validate(int c, int k, int hw, int stride)
    {
        var g = Conv2dGeometry.Create(3, c, hw, hw, k, 3, 3, stride, 1);
        var rng = new Random(7);
        float[] x = Random(rng, g.XLength), w = Random(rng, g.WLength), dY = Random(rng, g.YLength);
        return Compare("fwd", g, (o) => Conv2d.Forward(x, w, [], o, g), (o) => Conv2d.ForwardReference(x, w, [], o, g), g.YLength)
            ?? Compare("bwd_data", g, (o) => Conv2d.BackwardData(dY, w, o, g), (o) => Conv2d.BackwardDataReference(dY, w, o, g), g.XLength)
            ?? Compare("bwd_weight", g, (o) => Conv2d.BackwardWeight(x, dY, o, [], g), (o) => Conv2d.BackwardWeightReference(x, dY, o, [], g), g.WLength);
    }

    private static string? Compare(string pass, Conv2dGeometry g, Action<float[]> fast, Action<float[]> reference, int length)
    {
        float[] a = new float[length], b = new float[length];
        fast(a);
        reference(b);
        for (int i = 0; i < length; i++)
        {
            if (Math.Abs(a[i] - b[i]) > 1e-4f * (1 + Math.Abs(b[i])))
                return $"conv {pass} {g}: element {i} is {a[i]}, reference {b[i]}";
        }
        return null;
    }

    private static float[] Random(Random rng, int length)
    {
        var v = new float[length];
        for (int i = 0; i < length; i++) v[i] = (float)(rng.NextDouble() * 2 - 1);
        return v;
    }
}
