using NanoFed.Federation.Experiments;
using Xunit;

namespace NanoFed.Tests.Experiments;

/// <summary>FlConfig's learning-rate schedule and Nesterov: recorded in the JSON, absent from older files, checked naming the option.</summary>
public class FlConfigTests
{
    [Fact]
    public void TheDefaultRateIsConstantWithNoSchedule() => Assert.Null(new FlConfig().LrSchedule());

    [Fact]
    public void ScheduleAndNesterovRoundTripThroughTheJson()
    {
        var config = new FlConfig { Schedule = "multistep", Milestones = [50, 75], WarmupRounds = 2, Nesterov = true };
        string json = config.ToJson();
        Assert.Contains("\"warmup-rounds\": 2", json, StringComparison.Ordinal);
        var read = FlConfig.Parse(json, "test.json");
        Assert.Equal((config.Schedule, config.WarmupRounds, config.Nesterov), (read.Schedule, read.WarmupRounds, read.Nesterov));
        Assert.Equal(config.Milestones, read.Milestones);
        var schedule = read.LrSchedule()!;
        Assert.Equal([0.001, 0.001, 0.01, 0.01, 0.001, 0.0001], new[] { 0, 1, 2, 49, 50, 75 }.Select(schedule.LrAt).Select(v => Math.Round(v, 12)));
    }

    /// <summary>A run folder written before schedules existed reads as the constant rate it ran with.</summary>
    [Fact]
    public void AnOlderFileWithoutTheKeysReadsAsAConstantRate()
    {
        var read = FlConfig.Parse("""{ "method": "fedavg", "lr": 0.05 }""", "old.json");
        Assert.Equal(("constant", 0, false), (read.Schedule, read.WarmupRounds, read.Nesterov));
        Assert.Empty(read.Milestones);
        Assert.Null(read.LrSchedule());
    }

    /// <summary>A key given twice (the fuzzer's find: JsonObject threw ArgumentException) is a malformed file, for fl and gossip alike.</summary>
    [Fact]
    public void AKeyGivenTwiceIsAMalformedFile()
    {
        const string json = """{ "rounds": 3, "rounds": 4 }""";
        Assert.Contains("dup.json", Assert.Throws<NanoFed.Nets.DataFormatException>(() => FlConfig.Parse(json, "dup.json")).Message, StringComparison.Ordinal);
        Assert.Contains("dup.json", Assert.Throws<NanoFed.Nets.DataFormatException>(() => GossipConfig.Parse(json, "dup.json")).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--schedule", "step")]
    [InlineData("--nesterov", "nesterov")]
    [InlineData("--warmup-rounds", "warmup")]
    [InlineData("--milestones", "milestones")]
    public void BadScheduleOptionsAreRefusedNamingTheOption(string option, string fault)
    {
        var d = new FlConfig { Model = "smallcnn", Clients = 4, PerRound = 2, Rounds = 10 };
        var bad = fault switch
        {
            "step" => d with { Schedule = "step" },
            "nesterov" => d with { Nesterov = true, Momentum = 0 },
            "warmup" => d with { WarmupRounds = 11 },
            _ => d with { Schedule = "cosine", Milestones = [5] },
        };
        d.Validate();
        Assert.StartsWith(option, Assert.Throws<ArgumentException>(bad.Validate).Message, StringComparison.Ordinal);
    }
}
