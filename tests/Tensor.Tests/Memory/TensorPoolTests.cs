using NanoFed.Memory;
using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// The pool is process-wide, so these tests run alone: a test running beside them could take or give back buffers
/// and change <see cref="TensorPool.IdleBytes"/> under them.
/// </summary>
[CollectionDefinition(nameof(TensorPoolCollection), DisableParallelization = true)]
public sealed class TensorPoolCollection;

[Collection(nameof(TensorPoolCollection))]
public class TensorPoolTests
{
    // An odd length no other test rents, whose half is still long enough to borrow (the pool's MinBorrowLength is 65,536 floats).
    private static readonly Shape Odd = new(7, 19_001);

    [Fact]
    public void DisposedBufferIsCountedIdleAndReusedZeroed()
    {
        var t = TensorPool.Rent(Odd);
        float[] buffer = t.Array;
        t.Span.Fill(3f);
        long before = TensorPool.IdleBytes;
        t.Dispose();
        Assert.Equal(before + Odd.Length * sizeof(float), TensorPool.IdleBytes);
        var again = TensorPool.Rent(Odd);
        Assert.Same(buffer, again.Array);
        Assert.All(again.ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(before, TensorPool.IdleBytes);
        again.Dispose();
    }

    [Fact]
    public void ShorterLengthBorrowsAnIdleBufferLessThanTwiceAsLong()
    {
        TensorPool.Trim();
        var full = TensorPool.Rent(Odd);
        float[] buffer = full.Array;
        full.Span.Fill(3f);
        full.Dispose();
        var tail = TensorPool.Rent(new Shape(Odd.Length / 2 + 1));
        Assert.Same(buffer, tail.Array);
        Assert.Equal(Odd.Length / 2 + 1, tail.Span.Length);
        Assert.All(tail.ToArray(), v => Assert.Equal(0f, v));
        Assert.Equal(0, TensorPool.IdleBytes);
        tail.Dispose();
        Assert.Equal(Odd.Length * sizeof(float), TensorPool.IdleBytes);
        var again = TensorPool.Rent(Odd);
        Assert.Same(buffer, again.Array);
        again.Dispose();
    }

    [Fact]
    public void HalfLengthAndLongerLengthsGetTheirOwnBuffers()
    {
        TensorPool.Trim();
        var full = TensorPool.Rent(Odd);
        float[] buffer = full.Array;
        full.Dispose();
        var half = TensorPool.Rent(new Shape(Odd.Length / 2));
        var longer = TensorPool.Rent(new Shape(Odd.Length + 1));
        Assert.NotSame(buffer, half.Array);
        Assert.NotSame(buffer, longer.Array);
        Assert.Equal(Odd.Length * sizeof(float), TensorPool.IdleBytes);
        half.Dispose();
        longer.Dispose();
    }

    [Fact]
    public void ShortLengthsKeepExactBuckets()
    {
        TensorPool.Trim();
        TensorPool.Rent(new Shape(1001)).Dispose();
        var shorter = TensorPool.Rent(new Shape(1000));
        Assert.Equal(1001 * sizeof(float), TensorPool.IdleBytes);
        shorter.Dispose();
    }

    [Fact]
    public void ViewGivesNoStorageBack()
    {
        var t = TensorPool.Rent(Odd);
        var view = TensorPool.RentView(t, new Shape(Odd.Length));
        long before = TensorPool.IdleBytes;
        view.Dispose();
        Assert.Equal(before, TensorPool.IdleBytes);
        t.Dispose();
        Assert.Equal(before + Odd.Length * sizeof(float), TensorPool.IdleBytes);
    }
}
