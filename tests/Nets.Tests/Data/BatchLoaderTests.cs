using NanoFed.Nets.Data;
using Xunit;

namespace NanoFed.Tests;

public class BatchLoaderTests
{
    /// <summary>n images of 3 x 4 x 4 whose bytes encode the image index, labels i mod 10.</summary>
    private static ImageDataset Tiny(int n, int C = 3, int H = 4, int W = 4)
    {
        var pixels = new byte[n * C * H * W];
        for (int i = 0; i < pixels.Length; i++) pixels[i] = (byte)(i / (C * H * W) * 3 + i % 7);
        return new ImageDataset(pixels, Enumerable.Range(0, n).Select(i => i % 10).ToArray(), C, H, W, 10);
    }

    private static List<(float[] Images, int[] Labels)> Collect(BatchLoader loader, int epoch) =>
        loader.Epoch(epoch).Select(b => (b.Images.ToArray(), (int[])b.Labels.Clone())).ToList();

    [Fact]
    public void PlainBatchesAreNormalizedImagesInOrder()
    {
        var data = Tiny(10);
        var norm = Cifar10.Normalization;
        using var loader = new BatchLoader(data, 4, norm);
        Assert.Equal(3, loader.BatchesPerEpoch);
        var batches = Collect(loader, 0);
        Assert.Equal([4, 4, 2], batches.Select(b => b.Labels.Length));
        Assert.Equal(2 * 48, batches[2].Images.Length);
        for (int i = 0; i < 10; i++)
        {
            var (images, labels) = batches[i / 4];
            Assert.Equal(data.Labels[i], labels[i % 4]);
            for (int k = 0; k < 48; k++)
                Assert.Equal(norm.Apply(k / 16, data.Image(i)[k]), images[(i % 4) * 48 + k]);
        }
    }

    [Fact]
    public void BatchTensorsHaveNchwShape()
    {
        using var loader = new BatchLoader(Tiny(10), 4, dropLast: true);
        Assert.Equal(2, loader.BatchesPerEpoch);
        foreach (var b in loader.Epoch(0)) Assert.Equal(new Shape(4, 3, 4, 4), b.Images.Shape);
        using var small = new BatchLoader(Tiny(3), 8);
        Assert.Equal(new Shape(3, 3, 4, 4), Assert.Single(small.Epoch(0)).Images.Shape);
    }

    [Fact]
    public void SameSeedGivesSameBatches()
    {
        var data = Tiny(37);
        BatchLoader Make(ulong seed) => new(data, 8, Cifar10.Normalization, Augmentation.Cifar, shuffle: true, random: new HashEpochRandom(seed));
        using var a = Make(42);
        using var b = Make(42);
        using var c = Make(43);
        for (int epoch = 0; epoch < 3; epoch++)
        {
            var x = Collect(a, epoch);
            var y = Collect(b, epoch);
            Assert.Equal(x.Count, y.Count);
            for (int i = 0; i < x.Count; i++)
            {
                Assert.Equal(x[i].Images, y[i].Images);
                Assert.Equal(x[i].Labels, y[i].Labels);
            }
        }
        Assert.NotEqual(a.Order(0), c.Order(0));
        Assert.NotEqual(a.Order(0), a.Order(1));
        Assert.Equal(a.Order(5), b.Order(5));
    }

    [Fact]
    public void ShuffledEpochVisitsEveryImageOnce()
    {
        var data = Tiny(53);
        using var loader = new BatchLoader(data, 10, shuffle: true, random: new HashEpochRandom(1));
        var order = loader.Order(3);
        Assert.Equal(Enumerable.Range(0, 53), order.Order());
        var labels = loader.Epoch(3).SelectMany(b => b.Labels.ToArray()).ToArray();
        Assert.Equal(order.Select(i => data.Labels[i]), labels);
    }

    [Fact]
    public void AugmentedBatchIsTheDrawnCropOfTheShuffledImage()
    {
        var data = Tiny(9);
        var random = new HashEpochRandom(5);
        var table = Normalization.Identity(3).Table();
        using var loader = new BatchLoader(data, 4, null, Augmentation.Cifar, shuffle: true, random: random);
        var order = loader.Order(2);
        var expected = new float[48];
        int position = 0;
        foreach (var batch in loader.Epoch(2))
            for (int i = 0; i < batch.Count; i++, position++)
            {
                var (dy, dx, flip) = Augmentation.Cifar.Draw(random.Bits(2, (1L << 32) + position));
                Augmentation.Write(data.Image(order[position]), 3, 4, 4, table, dy, dx, flip, expected);
                Assert.Equal(expected, batch.Images.Span.Slice(i * 48, 48).ToArray());
            }
        Assert.Equal(9, position);
    }

    [Fact]
    public void BreakingOffAnEpochLeavesTheLoaderUsable()
    {
        var data = Tiny(40);
        using var loader = new BatchLoader(data, 4, shuffle: true, random: new HashEpochRandom(3));
        foreach (var b in loader.Epoch(0))
            if (b.Index == 2) break;
        var full = Collect(loader, 1);
        Assert.Equal(10, full.Count);
        Assert.Equal(loader.Order(1).Select(i => data.Labels[i]), full.SelectMany(b => b.Labels));
    }

    /// <summary>Fails on one augmentation draw, to show a fault on the background thread reaches the caller.</summary>
    private sealed class FailingRandom(long failAt) : IEpochRandom
    {
        public ulong Bits(int epoch, long counter) =>
            counter == (1L << 32) + failAt ? throw new InvalidOperationException("draw " + failAt) : (ulong)counter * 0x9E3779B97F4A7C15UL;
    }

    [Fact]
    public void FaultWhilePreparingABatchReachesTheCaller()
    {
        using var loader = new BatchLoader(Tiny(20), 4, augmentation: Augmentation.Cifar, random: new FailingRandom(13));
        int seen = 0;
        var e = Assert.Throws<InvalidOperationException>(() => { foreach (var _ in loader.Epoch(0)) seen++; });
        Assert.Equal("draw 13", e.Message);
        Assert.Equal(3, seen); // batches 0-2 arrived; batch 3 holds position 13
        seen = 0;
        Assert.Throws<InvalidOperationException>(() => { foreach (var _ in loader.Epoch(1)) seen++; });
        Assert.Equal(3, seen);
    }

    [Fact]
    public void ShuffleWithoutRandomIsRejected()
    {
        Assert.Throws<ArgumentException>(() => new BatchLoader(Tiny(4), 2, shuffle: true));
        Assert.Throws<ArgumentException>(() => new BatchLoader(Tiny(4), 2, Normalization.FashionMnist));
    }
}

[Collection(nameof(AllocationCollection))]
public class BatchLoaderAllocationTests
{
    [Fact]
    public void SteadyStateAllocatesNothingPerBatch()
    {
        var pixels = new byte[300 * 3 * 32 * 32];
        new System.Random(1).NextBytes(pixels);
        var data = new ImageDataset(pixels, Enumerable.Range(0, 300).Select(i => i % 10).ToArray(), 3, 32, 32, 10);
        using var loader = new BatchLoader(data, 16, Cifar10.Normalization, Augmentation.Cifar, shuffle: true, random: new HashEpochRandom(9));
        foreach (var _ in loader.Epoch(0)) { } // warm up: JIT, the tail batch
        // The counter is the process's, so the test runner's own threads show up in it (256 B to 4 KB, now and then).
        // An allocation in the loader happens in every batch of every epoch: the quietest of three epochs must be below
        // one smallest object (24 B) per batch.
        int batches = loader.BatchesPerEpoch - 3;
        long fewest = long.MaxValue;
        float sum = 0;
        for (int epoch = 1; epoch <= 3; epoch++)
        {
            long before = 0;
            foreach (var b in loader.Epoch(epoch))
            {
                if (b.Index == 1) before = GC.GetTotalAllocatedBytes(precise: true);
                sum += b.Images.Span[0];
                if (b.Index == loader.BatchesPerEpoch - 2) fewest = Math.Min(fewest, GC.GetTotalAllocatedBytes(precise: true) - before);
            }
        }
        Assert.True(fewest < 24 * batches, $"{fewest} bytes allocated over {batches} batches in the quietest of three epochs");
        Assert.True(float.IsFinite(sum));
    }
}
