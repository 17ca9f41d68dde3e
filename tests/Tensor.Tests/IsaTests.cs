using Xunit;

namespace NanoFed.Tests;

/// <summary>Re-runs every Kernel test with each wider instruction set switched off.</summary>
public class IsaTests
{
    [Fact]
    [Trait("Category", IsaChild.Category)]
    public void ChildRunsTheExpectedPath() => IsaChild.AssertChildPath();

    [Theory]
    [MemberData(nameof(IsaChild.Settings), MemberType = typeof(IsaChild))]
    public void KernelTestsPassWithPathSwitchedOff(string switchName, string expectedIsa) =>
        IsaChild.Run(typeof(IsaTests).Assembly.Location, switchName, expectedIsa);
}
