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
    // An odd length no other test rents, so the buffers seen here are this test's own.
    private static readonly Shape Odd = new(7, 149);

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
