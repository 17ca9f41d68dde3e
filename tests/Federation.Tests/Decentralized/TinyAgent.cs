using NanoFed.Federation.Decentralized;
using NanoFed.Nets.Data;
using NanoFed.Nets.Modules;

namespace NanoFed.Tests.Decentralized;

/// <summary>A small agent for optimizer tests: a one-convolution net on 64 random 28×28 images, batch 16, lr 0.1.</summary>
internal static class TinyAgent
{
    public static Agent Create(bool quasiGlobal = false, bool nesterov = false, double? tracking = null)
    {
        var rng = new RngStream(5, 0);
        var pixels = new byte[64 * 28 * 28];
        for (int k = 0; k < pixels.Length; k++) pixels[k] = (byte)(rng.NextUInt32() & 255);
        var labels = Enumerable.Range(0, 64).Select(i => i % 10).ToArray();
        var model = new Sequential(("conv", new Conv2d(1, 4, 3, rng)), ("relu", new ReLU()), ("pool", new MaxPool2d(2)),
            ("flatten", new Flatten()), ("fc", new Linear(4 * 13 * 13, 10, rng)));
        return new Agent(0, model, new ImageDataset(pixels, labels, 1, 28, 28, 10), 16, 0.1, 5, Normalization.Identity(1),
            nesterov: nesterov, quasiGlobalMomentum: quasiGlobal, updateTracking: tracking);
    }
}
