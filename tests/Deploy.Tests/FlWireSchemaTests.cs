using NanoFed.Deploy;
using NanoFed.Federation.Experiments;
using NanoFed.Federation.Fl;
using Xunit;

namespace NanoFed.Tests.Deploy;

/// <summary>What a device accepts from its server: the round context of a scheduled Nesterov run, and no unknown instruction.</summary>
public class FlWireSchemaTests
{
    [Fact]
    public void ADeviceAcceptsTheRoundContextOfANesterovRun()
    {
        var schema = FlWireSchema.For(new FlConfig { Model = "smallcnn", Clients = 4, PerRound = 2, SplitIndex = 2, Schedule = "cosine", Nesterov = true });
        var options = new FedAvgOptions(Nesterov: true);
        Assert.True(schema.Accepts(new RoundContext(1, 0, 0, options.ToInstructions(1)).ToMessage(), out string reason), reason);
        Assert.False(schema.Accepts(new RoundContext(1, 0, 0, [.. options.ToInstructions(1), ("mystery", 1.0)]).ToMessage(), out reason));
        Assert.Contains("'mystery': unknown tensor", reason, StringComparison.Ordinal);
    }
}
