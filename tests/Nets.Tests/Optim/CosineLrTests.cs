using NanoFed.Nets.Optim;
using Xunit;

namespace NanoFed.Tests.Optim;

/// <summary>CosineAnnealingLR with a floor, one step past T_max included.</summary>
public class CosineLrTests
{
    [Fact]
    public void MatchesPyTorch() => ScheduleFixture.Check("cosine", new CosineLr(0.1, 10, 0.001).LrAt);
}
