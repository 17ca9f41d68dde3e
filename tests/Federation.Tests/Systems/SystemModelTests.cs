using NanoFed.Federation.Systems;
using Xunit;

namespace NanoFed.Tests;

public class SystemModelTests
{
    [Fact]
    public void RoundTimeIsSlowestDeviceThenServer()
    {
        var s = new SystemModel(DeviceFlops: 1e9, ServerFlops: 1e12, UplinkBytesPerSecond: 1e6, DownlinkBytesPerSecond: 2e6, Latency: 0.1);
        var fast = new DeviceWork(0, 2_000_000, 1, 1e9, 1_000_000, 1);   // 0.1+1 + 1 + 0.1+1 = 3.2
        var slow = new DeviceWork(1, 2_000_000, 1, 3e9, 1_000_000, 2);   // 0.1+1 + 3 + 0.2+1 = 5.3
        Assert.Equal(3.2, s.DeviceTime(fast), 12);
        Assert.Equal(5.3, s.DeviceTime(slow), 12);
        Assert.Equal(5.3 + 2.0, s.RoundTime([fast, slow], 2e12), 12);
    }

    [Fact]
    public void DefaultsAreStated()
    {
        var d = SystemModel.Default;
        Assert.Equal(10e9, d.DeviceFlops);
        Assert.Equal(10e12, d.ServerFlops);
        Assert.Equal(10e6, d.UplinkBytesPerSecond);
        Assert.Equal(20e6, d.DownlinkBytesPerSecond);
        Assert.Equal(0.02, d.Latency);
        Assert.Equal(1e9, (d with { DeviceFlops = 1e9 }).DeviceFlops);
    }

    [Fact]
    public void InvalidModelThrows()
    {
        Assert.Throws<ArgumentException>(() => new SystemModel(DeviceFlops: 0).Validate());
        Assert.Throws<ArgumentException>(() => new SystemModel(Latency: -1).Validate());
        Assert.Throws<ArgumentException>(() => new SystemModel(UplinkBytesPerSecond: double.PositiveInfinity).Validate());
    }
}
