namespace NanoFed.Federation.Fl;

/// <summary>
/// Options of <see cref="EcoFed"/> (specs/ecofed.md, method 5), with the spec's defaults: one local epoch at batch 10,
/// SGD lr 0.01 with momentum 0.9 and no weight decay (the optimizer state reset each round), 8-bit activations with one
/// scale per tensor, replay period P = 2, an unbounded replay buffer replayed in stored order.
/// </summary>
/// <param name="E">Epochs the server trains each per-client copy of the back part on a client's activations.</param>
/// <param name="B">Batch size: the device computes and quantizes its activations in batches of B (its BatchNorm uses
/// batch statistics), and the server trains on batches of B.</param>
/// <param name="Lr">SGD learning rate of the server's copies.</param>
/// <param name="Momentum">SGD momentum (state reset for every copy in every round).</param>
/// <param name="WeightDecay">L2 weight decay.</param>
/// <param name="Bits">Bit width b of the quantized activations (1..8).</param>
/// <param name="PerChannel">One scale per channel of the activations (axis 1 of (N, C, H, W)) instead of one per tensor.</param>
/// <param name="Period">Replay period P: round r (1-based) is an update round when (r − 1) mod P = 0, the others replay.</param>
/// <param name="BufferCapacity">Most client entries the replay buffer keeps (the oldest is evicted); null for unbounded.</param>
/// <param name="ReshuffleReplay">Reshuffle a client's stored samples every epoch instead of training on its stored batches in order.</param>
/// <param name="Nesterov">Nesterov momentum of the server's copies.</param>
public sealed record EcoFedOptions(int E = 1, int B = 10, double Lr = 0.01, double Momentum = 0.9, double WeightDecay = 0, int Bits = 8,
    bool PerChannel = false, int Period = 2, int? BufferCapacity = null, bool ReshuffleReplay = false, bool Nesterov = false)
{
    /// <summary>The learning rate of the server's copies over rounds, update and replay rounds alike (as <see cref="FedAvgOptions.Schedule"/>).</summary>
    public Nets.Optim.ILrSchedule? Schedule { get; init; }

    /// <summary>The server copies' learning rate in round <paramref name="round"/> (1-based).</summary>
    public double LrIn(int round) => Schedule?.LrAt(round - 1) ?? Lr;

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid option.</summary>
    public void Validate()
    {
        new FedAvgOptions(E, B, Lr, Momentum, WeightDecay, Nesterov).Validate();
        if (Bits is < Kernels.Quantize.MinBits or > Kernels.Quantize.MaxBits)
            throw new ArgumentException($"Bits must be in {Kernels.Quantize.MinBits}..{Kernels.Quantize.MaxBits}, got {Bits}");
        if (Period <= 0) throw new ArgumentException($"Period (P) must be positive, got {Period}");
        if (BufferCapacity is <= 0) throw new ArgumentException($"BufferCapacity must be positive (or unset for unbounded), got {BufferCapacity}");
    }

    /// <summary>Whether round <paramref name="round"/> (1-based) is an update round: the spec's "r mod P = 0" with r counted from 0.</summary>
    public bool IsUpdateRound(int round) => (round - 1) % Period == 0;
}
