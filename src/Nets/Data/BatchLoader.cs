using System.Runtime.ExceptionServices;

namespace NanoFed.Nets.Data;

/// <summary>
/// Turns an <see cref="ImageDataset"/> into float mini-batches, one epoch at a time: an order (the identity, or
/// a shuffle drawn from an <see cref="IEpochRandom"/> keyed by the epoch), then per image an optional
/// <see cref="Augmentation"/> and a per-channel <see cref="Normalization"/>. A background thread prepares batch
/// b + 1 while the caller uses batch b (double buffering); the two buffers are allocated once, so an epoch
/// in steady state allocates nothing per batch. Batches depend only on (data, options, seed, epoch), not on
/// timing. One epoch is enumerated at a time; dispose the loader to stop its thread.
/// </summary>
public sealed class BatchLoader : IDisposable
{
    private readonly ImageDataset _data;
    private readonly Augmentation? _augmentation;
    private readonly IEpochRandom? _random;
    private readonly bool _shuffle;
    private readonly float[] _table;
    private readonly int[] _order;
    private readonly Batch[] _full;
    private readonly Batch?[] _tail;
    private readonly Thread _worker;
    private readonly SemaphoreSlim _request = new(0);
    private readonly SemaphoreSlim _done = new(0);
    private int _requestEpoch, _requestBatch;
    private Exception? _error;
    private bool _pending, _active, _stop, _disposed;

    /// <summary>
    /// Creates a loader. <paramref name="normalization"/> defaults to scaling bytes to [0, 1];
    /// <paramref name="shuffle"/> and <paramref name="augmentation"/> need <paramref name="random"/>;
    /// <paramref name="dropLast"/> skips a final partial batch.
    /// </summary>
    public BatchLoader(ImageDataset data, int batchSize, Normalization? normalization = null, Augmentation? augmentation = null,
        bool shuffle = false, IEpochRandom? random = null, bool dropLast = false)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(batchSize);
        normalization ??= Normalization.Identity(data.Channels);
        if (normalization.Channels != data.Channels)
            throw new ArgumentException($"normalization has {normalization.Channels} channels, the images {data.Channels}", nameof(normalization));
        if ((shuffle || augmentation is not null) && random is null)
            throw new ArgumentException("shuffling and augmentation need a random source", nameof(random));
        _data = data;
        BatchSize = batchSize;
        _augmentation = augmentation;
        _shuffle = shuffle;
        _random = random;
        _table = normalization.Table();
        _order = new int[data.Count];
        int tail = data.Count % batchSize;
        BatchesPerEpoch = data.Count / batchSize + (tail > 0 && !dropLast ? 1 : 0);
        var shape = new Shape(Math.Min(batchSize, data.Count), data.Channels, data.Height, data.Width);
        _full = new Batch[2];
        _tail = new Batch?[2];
        for (int s = 0; s < 2; s++)
        {
            var images = Tensor.FromArray(new float[shape.Length], shape);
            _full[s] = new Batch(images, new int[shape[0]]);
            if (tail > 0 && !dropLast && data.Count > batchSize)
                _tail[s] = new Batch(images.SliceFirst(0, tail), new int[tail]);
        }
        _worker = new Thread(WorkerLoop) { IsBackground = true, Name = "NanoFed.BatchLoader" };
        _worker.Start();
    }

    /// <summary>Images per batch (the last batch of an epoch may hold fewer).</summary>
    public int BatchSize { get; }

    /// <summary>Batches in one epoch.</summary>
    public int BatchesPerEpoch { get; }

    /// <summary>The batches of <paramref name="epoch"/>, in order. Each is valid until the next is requested.</summary>
    public IEnumerable<Batch> Epoch(int epoch)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return Iterate(epoch);
    }

    /// <summary>The order in which <paramref name="epoch"/> visits the images (a fresh array).</summary>
    public int[] Order(int epoch)
    {
        var order = new int[_data.Count];
        FillOrder(epoch, order);
        return order;
    }

    private IEnumerable<Batch> Iterate(int epoch)
    {
        if (_active) throw new InvalidOperationException("a BatchLoader enumerates one epoch at a time");
        _active = true;
        try
        {
            FillOrder(epoch, _order);
            if (BatchesPerEpoch == 0) yield break;
            Request(epoch, 0);
            for (int b = 0; b < BatchesPerEpoch; b++)
            {
                var current = WaitDone();
                if (b + 1 < BatchesPerEpoch) Request(epoch, b + 1);
                yield return current;
            }
        }
        finally
        {
            if (_pending)
            {
                _done.Wait();
                _pending = false;
                _error = null;
            }
            _active = false;
        }
    }

    private void FillOrder(int epoch, Span<int> order)
    {
        for (int i = 0; i < order.Length; i++) order[i] = i;
        if (!_shuffle) return;
        // Fisher-Yates from the top; draw i picks j in [0, i] by a multiply-high reduction of 64 bits.
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = (int)Math.BigMul(_random!.Bits(epoch, i), (ulong)(i + 1), out _);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    private void Request(int epoch, int batch)
    {
        _requestEpoch = epoch;
        _requestBatch = batch;
        _pending = true;
        _request.Release();
    }

    private Batch WaitDone()
    {
        _done.Wait();
        _pending = false;
        if (_error is { } e)
        {
            _error = null;
            ExceptionDispatchInfo.Capture(e).Throw();
        }
        return SlotOf(_requestBatch);
    }

    private Batch SlotOf(int batch)
    {
        int slot = batch & 1;
        bool partial = batch == BatchesPerEpoch - 1 && _tail[slot] is not null;
        return partial ? _tail[slot]! : _full[slot];
    }

    private void WorkerLoop()
    {
        while (true)
        {
            _request.Wait();
            if (_stop) return;
            try
            {
                Fill(_requestEpoch, _requestBatch);
            }
            catch (Exception e)
            {
                _error = e;
            }
            _done.Release();
        }
    }

    /// <summary>Writes batch <paramref name="batch"/> of <paramref name="epoch"/> into its buffer.</summary>
    private void Fill(int epoch, int batch)
    {
        var target = SlotOf(batch);
        target.Epoch = epoch;
        target.Index = batch;
        int C = _data.Channels, H = _data.Height, W = _data.Width, size = _data.ImageBytes;
        var images = target.Images.Span;
        for (int i = 0; i < target.Count; i++)
        {
            int position = batch * BatchSize + i;
            int index = _order[position];
            target.Labels[i] = _data.Labels[index];
            var (dy, dx, flip) = _augmentation is null ? (0, 0, false)
                : _augmentation.Draw(_random!.Bits(epoch, (1L << 32) + position));
            Augmentation.Write(_data.Image(index), C, H, W, _table, dy, dx, flip, images.Slice(i * size, size));
        }
    }

    /// <summary>Stops the background thread (after any batch it is preparing).</summary>
    public void Dispose()
    {
        if (_disposed) return;
        _disposed = true;
        if (_pending) _done.Wait();
        _stop = true;
        _request.Release();
        _worker.Join();
        _request.Dispose();
        _done.Dispose();
    }
}
