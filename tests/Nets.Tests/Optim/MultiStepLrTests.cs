using NanoFed.Nets.Optim;
using Xunit;

namespace NanoFed.Tests.Optim;

/// <summary>MultiStepLR, a repeated milestone included.</summary>
public class MultiStepLrTests
{
    [Fact]
    public void MatchesPyTorch() => ScheduleFixture.Check("multistep", new MultiStepLr(0.1, [3, 6, 6], 0.1).LrAt);
}
