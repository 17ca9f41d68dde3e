using NanoFed.Federation.Fl;
using NanoFed.Federation.Transport;
using Xunit;

namespace NanoFed.Tests;

public class ReplayBufferTests
{
    /// <summary>An entry of <paramref name="n"/> samples of shape (2, 3) whose values all equal <paramref name="tag"/>.</summary>
    private static ReplayEntry Entry(int client, int n = 4, float tag = 1)
    {
        var values = Enumerable.Repeat(tag, n * 6).ToArray();
        return new ReplayEntry(client, [WireTensor.Quantized("activations.0", new Shape(n, 2, 3), values, 8)], new int[n]);
    }

    [Fact]
    public void NewEntryReplacesTheClientsOldOne()
    {
        var buffer = new ReplayBuffer();
        buffer.Put(Entry(1, tag: 1));
        buffer.Put(Entry(2));
        buffer.Put(Entry(1, n: 3, tag: 5));
        Assert.Equal(2, buffer.Count);
        Assert.Equal(new[] { 2, 1 }, buffer.Clients);
        Assert.Equal(3, buffer[1].Count);
        Assert.All(buffer[1].Decode(), v => Assert.Equal(5f, v));
        Assert.False(buffer.Contains(3));
        Assert.Throws<KeyNotFoundException>(() => buffer[3]);
    }

    [Fact]
    public void CapacityEvictsTheOldestEntry()
    {
        var buffer = new ReplayBuffer(capacity: 2);
        buffer.Put(Entry(1));
        buffer.Put(Entry(2));
        buffer.Put(Entry(3));
        Assert.Equal(new[] { 2, 3 }, buffer.Clients);
        buffer.Put(Entry(2));
        buffer.Put(Entry(4));
        Assert.Equal(new[] { 2, 4 }, buffer.Clients);
        Assert.Throws<ArgumentOutOfRangeException>(() => new ReplayBuffer(0));
    }

    [Fact]
    public void SamplingIsDeterministicAndWithoutReplacement()
    {
        var buffer = new ReplayBuffer();
        for (int c = 0; c < 10; c++) buffer.Put(Entry(c));
        var counts = new int[10];
        for (ulong seed = 0; seed < 300; seed++)
        {
            var a = buffer.Sample(4, new RngStream(seed, 1)).Select(e => e.Client).ToArray();
            var b = buffer.Sample(4, new RngStream(seed, 1)).Select(e => e.Client).ToArray();
            Assert.Equal(a, b);
            Assert.Equal(4, a.Distinct().Count());
            Assert.Equal(a.Order(), a);
            foreach (int c in a) counts[c]++;
        }
        // Each client is drawn with probability 4/10: 120 of 300 expected, sd ≈ 8.5.
        Assert.All(counts, k => Assert.InRange(k, 85, 155));
        Assert.Equal(Enumerable.Range(0, 10), buffer.Sample(25, new RngStream(1, 1)).Select(e => e.Client));
        Assert.Empty(buffer.Sample(0, new RngStream(1, 1)));
    }

    [Fact]
    public void EntryChecksLabelsAgainstSamples()
    {
        var batch = WireTensor.Quantized("activations.0", new Shape(2, 3), new float[6], 8);
        Assert.Throws<ArgumentException>(() => new ReplayEntry(0, [batch], [1, 2, 3]));
        var other = WireTensor.Quantized("activations.1", new Shape(2, 4), new float[8], 8);
        Assert.Throws<ArgumentException>(() => new ReplayEntry(0, [batch, other], [1, 2, 3, 4]));
    }
}
