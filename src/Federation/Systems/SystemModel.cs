namespace NanoFed.Federation.Systems;

/// <summary>
/// The simulated clock of a federated run: device and server compute rates, link bandwidths and a one-way latency.
/// Defaults (all overridable with <c>with</c>): a Raspberry-Pi-4-class device at 10 GFLOP/s sustained, a server at
/// 10 TFLOP/s (one data-centre GPU at realistic utilisation), a 10 MB/s uplink and 20 MB/s downlink (a typical
/// Wi-Fi/4G edge link, uplink slower than downlink) and 20 ms latency per message; no round deadline and no stragglers.
/// </summary>
/// <param name="DeviceFlops">Device compute rate in FLOP/s.</param>
/// <param name="ServerFlops">Server compute rate in FLOP/s.</param>
/// <param name="UplinkBytesPerSecond">Device-to-server bandwidth in bytes/s.</param>
/// <param name="DownlinkBytesPerSecond">Server-to-device bandwidth in bytes/s.</param>
/// <param name="Latency">One-way latency in seconds, charged once per message.</param>
/// <param name="Deadline">Fault injection: the round's deadline in seconds, or null for none. A device whose turn
/// (<see cref="DeviceTime"/>, its compute slowed by its <see cref="DeviceWork.Slowdown"/>) takes longer misses the round:
/// the server stops waiting at the deadline and aggregates without it.</param>
/// <param name="Slowdown">Fault injection: stragglers. A device's compute in a round is slowed by the factor 1 + Slowdown · E,
/// E exponential with mean 1, drawn per round and client from the run's seed (<c>FlRunner.SlowdownOf</c>); 0 for none.</param>
public sealed record SystemModel(
    double DeviceFlops = 10e9,
    double ServerFlops = 10e12,
    double UplinkBytesPerSecond = 10e6,
    double DownlinkBytesPerSecond = 20e6,
    double Latency = 0.02,
    double? Deadline = null,
    double Slowdown = 0)
{
    /// <summary>The defaults described on the type.</summary>
    public static SystemModel Default { get; } = new();

    /// <summary>
    /// Throws an <see cref="ArgumentException"/> unless every rate is positive and finite, the latency and the slow-down
    /// finite and non-negative, and the deadline (when given) positive and finite.
    /// </summary>
    public void Validate()
    {
        Positive(DeviceFlops, nameof(DeviceFlops));
        Positive(ServerFlops, nameof(ServerFlops));
        Positive(UplinkBytesPerSecond, nameof(UplinkBytesPerSecond));
        Positive(DownlinkBytesPerSecond, nameof(DownlinkBytesPerSecond));
        if (!(Latency >= 0) || double.IsInfinity(Latency)) throw new ArgumentException($"Latency must be finite and non-negative, got {Latency}");
        if (Deadline is { } deadline) Positive(deadline, nameof(Deadline));
        if (!(Slowdown >= 0) || double.IsInfinity(Slowdown)) throw new ArgumentException($"Slowdown must be finite and non-negative, got {Slowdown}");
    }

    /// <summary>Seconds a device needs to download <paramref name="bytes"/> in <paramref name="messages"/> messages.</summary>
    public double Download(long bytes, int messages = 1) => messages * Latency + bytes / DownlinkBytesPerSecond;

    /// <summary>Seconds a device needs to upload <paramref name="bytes"/> in <paramref name="messages"/> messages.</summary>
    public double Upload(long bytes, int messages = 1) => messages * Latency + bytes / UplinkBytesPerSecond;

    /// <summary>Seconds a device needs for <paramref name="flops"/> FLOPs.</summary>
    public double DeviceCompute(double flops) => flops / DeviceFlops;

    /// <summary>Seconds the server needs for <paramref name="flops"/> FLOPs.</summary>
    public double ServerCompute(double flops) => flops / ServerFlops;

    /// <summary>
    /// A round's simulated time: its critical path, the slowest sampled device's
    /// (download + compute + upload + server work inside its turn), at most the <see cref="Deadline"/> (the server
    /// stops waiting for a straggler there), then the server's aggregation.
    /// </summary>
    public double RoundTime(IReadOnlyList<DeviceWork> devices, double serverFlops)
    {
        ArgumentNullException.ThrowIfNull(devices);
        double slowest = 0;
        foreach (var d in devices) slowest = Math.Max(slowest, DeviceTime(d));
        return Math.Min(slowest, Deadline ?? double.PositiveInfinity) + ServerCompute(serverFlops);
    }

    /// <summary>One device's (download + compute slowed by its straggler factor + upload) time, plus the server work done inside its turn.</summary>
    public double DeviceTime(DeviceWork d) =>
        Download(d.DownBytes, d.DownMessages) + DeviceCompute(d.Flops) * d.Slowdown + Upload(d.UpBytes, d.UpMessages) + ServerCompute(d.ServerFlops);

    /// <summary>Whether a device's turn <paramref name="d"/> ends after the <see cref="Deadline"/>.</summary>
    public bool Misses(DeviceWork d) => Deadline is { } deadline && DeviceTime(d) > deadline;

    private static void Positive(double v, string name)
    {
        if (!(v > 0) || double.IsInfinity(v)) throw new ArgumentException($"{name} must be positive and finite, got {v}");
    }
}

/// <summary>One sampled device's share of a round: bytes and messages each way and the FLOPs it computed.</summary>
/// <param name="Client">The client id.</param>
/// <param name="DownBytes">Bytes received from the server.</param>
/// <param name="DownMessages">Messages received from the server.</param>
/// <param name="Flops">FLOPs computed on the device.</param>
/// <param name="UpBytes">Bytes sent to the server.</param>
/// <param name="UpMessages">Messages sent to the server.</param>
/// <param name="ServerFlops">Server FLOPs computed inside this device's turn (split learning), on its critical path.</param>
/// <param name="Slowdown">The factor the device's compute is slowed by in this round (a straggler's; 1 for none).</param>
public readonly record struct DeviceWork(int Client, long DownBytes, int DownMessages, double Flops, long UpBytes, int UpMessages, double ServerFlops = 0,
    double Slowdown = 1);
