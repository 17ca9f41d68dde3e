using FsCheck;
using FsCheck.Fluent;
using NanoFed.Kernels;
using Xunit;

namespace NanoFed.Tests;

/// <summary>GEMM blocking from the machine's caches (<see cref="GemmBlocking.For"/>), and the plan the bench prints.</summary>
[Collection(nameof(WorkerCountCollection))]
public class GemmBlockingTests
{
    [Fact]
    public void ZenFiveCachesGiveTheMeasuredBlocking()
    {
        // The hosts where MC = 180 and NC = 1024 were measured: 48 KB L1d, 1 MB L2, 32 MB L3 shared by 2 vCPUs.
        var zen5 = new CpuCaches(48 << 10, 1 << 20, 32 << 20, 2, "sysfs");
        Assert.Equal(new GemmBlocking(12, 32, 512, 180, 1024), GemmBlocking.For(12, 32, zen5));
    }

    [Fact]
    public void UnknownCachesGiveTheSameAsTheMeasuredHosts()
    {
        var none = new CpuCaches(null, null, null, null, "none");
        var zen5 = new CpuCaches(48 << 10, 1 << 20, 32 << 20, 2, "sysfs");
        Assert.Equal(GemmBlocking.For(6, 16, zen5), GemmBlocking.For(6, 16, none));
    }

    [Fact]
    public void ALargerL2HoldsMoreRowsOfA()
    {
        // A Sapphire Rapids core's 2 MB L2 against Zen's 1 MB: twice the rows per block, still a multiple of MR.
        var small = GemmBlocking.For(12, 32, new CpuCaches(48 << 10, 1 << 20, 32 << 20, 2, "sysfs"));
        var large = GemmBlocking.For(12, 32, new CpuCaches(48 << 10, 2 << 20, 32 << 20, 2, "sysfs"));
        Assert.Equal(360, large.MC);
        Assert.True(large.MC > small.MC);
    }

    [Fact]
    public void BlockingStaysInItsBoundsForAnyCaches()
    {
        var gen =
            from l2Kb in Gen.Choose(1, 1 << 16)
            from l3Kb in Gen.Choose(1, 1 << 20)
            from sharedBy in Gen.Choose(1, 256)
            select (l2Kb, l3Kb, sharedBy);
        Prop.ForAll(Arb.From(gen), s =>
            {
                var (l2Kb, l3Kb, sharedBy) = s;
                foreach (var (mr, nr) in new[] { (12, 32), (6, 16), (6, 8), (4, 4) })
                {
                    var b = GemmBlocking.For(mr, nr, new CpuCaches(32 << 10, (long)l2Kb << 10, (long)l3Kb << 10, sharedBy, "test"));
                    if (b.MC % mr != 0 || b.MC < 4 * mr || b.MC > 1024 || b.NC % nr != 0 || b.NC < 8 * nr || b.NC > 2048 || b.KC != 512)
                        return false;
                }
                return true;
            }).Check(Config.QuickThrowOnFailure);
    }

    [Fact]
    public void PlanNamesTheBlockingAndTheThreadLayout()
    {
        // The model's plans, whatever the user's plan cache holds.
        var saved = PlanCache.Active;
        try
        {
            PlanCache.Active = PlanCache.Empty(null, MachineInfo.Current.CacheKey);
            string plan = Gemm.Plan(Transpose.No, 1024, 1024, 1024);
            Assert.Contains("KC=512 (2 depth blocks)", plan);
            Assert.Contains("B packed", plan);
            Assert.EndsWith(", model", plan);
            Assert.Contains("one thread", Gemm.Plan(Transpose.No, 16, 16, 16));
            Assert.Contains("B in place", Gemm.Plan(Transpose.No, 16, 4096, 144));
        }
        finally
        {
            PlanCache.Active = saved;
        }
    }

    [Fact]
    public void ConvPlanNamesWhatEachPassRuns()
    {
        var pointwise = Conv2dGeometry.Create(2, 64, 16, 16, 32, 1, 1, 1, 0);
        Assert.Equal("gemm", Conv2d.Plan(pointwise).Forward);
        var stem = Conv2dGeometry.Create(128, 3, 32, 32, 64, 3, 3, 1, 1);
        var plan = Conv2d.Plan(stem);
        string[] forward = ["winograd-small", "winograd-lanes", "direct", "winograd", "gemm", "im2col+gemm"];
        Assert.Contains(plan.Forward, forward);
        Assert.True(plan.BackwardData is "direct-stride2" or "gemm+col2im" || plan.BackwardData.StartsWith("flipped ", StringComparison.Ordinal), plan.BackwardData);
        Assert.Contains(plan.BackwardWeight, new[] { "weight-lanes", "winograd", "pixel-major gemm", "direct", "im2col+gemm" });
        var resnet = Conv2dGeometry.Create(128, 32, 16, 16, 32, 3, 3, 1, 1);
        Assert.Equal(Conv2d.UseWinogradWeight(resnet), Conv2d.Plan(resnet).BackwardWeight == "winograd");
        // The 5x5 stride-2 layer has no special kernel on any machine.
        var plain = Conv2dGeometry.Create(4, 8, 16, 16, 8, 5, 5, 2, 2);
        Assert.Equal(new ConvPlan("im2col+gemm", "gemm+col2im", "im2col+gemm"), Conv2d.Plan(plain));
    }
}
