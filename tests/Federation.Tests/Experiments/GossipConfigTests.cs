using NanoFed.Federation.Experiments;
using Xunit;

namespace NanoFed.Tests.Experiments;

/// <summary>The gossip run configuration file: defaults for missing keys, round trip, overrides and the resume rules.</summary>
public sealed class GossipConfigTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("nanofed-gossip-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_dir, $"{Guid.NewGuid():N}.json");
        File.WriteAllText(path, json);
        return path;
    }

    [Theory]
    [InlineData("topk", 0.0025, 8, "keep 0.25%")]
    [InlineData("randomk", 0.01, 8, "random keep 1%")]
    [InlineData("quantize", 0.01, 4, "4-bit quantization")]
    [InlineData("sign", 0.01, 8, "sign")]
    public void CompressorTextNamesWhatTheCompressorKeeps(string compressor, double keep, int bits, string text) =>
        Assert.Equal(text, new GossipConfig { Method = "scsp", Compressor = compressor, Keep = keep, Bits = bits }.CompressorText);

    [Fact]
    public void AMissingKeyTakesItsDefaultNotZero()
    {
        var read = GossipConfig.Read(Write("""{ "method": "choco" }"""));
        Assert.Equal((new GossipConfig() with { Method = "choco" }).ToJson(), read.ToJson());
        Assert.Equal(1, read.Degree);
        Assert.Equal(0.9, read.Momentum);
    }

    [Fact]
    public void ToJsonReadsBackUnchangedWithTheOptionNamesAsKeys()
    {
        var config = new GossipConfig { Method = "sparse-push", Keep = 0.0015, Gamma = 0.01f, IndexCoding = "uint16", Milestones = [5, 8], Seed = 7 };
        string json = config.ToJson();
        Assert.Contains("\"index-coding\": \"uint16\"", json, StringComparison.Ordinal);
        Assert.Equal(json, GossipConfig.Read(Write(json)).ToJson());
    }

    [Theory]
    [InlineData("""{ "agnets": 4 }""", "unknown key 'agnets'")]
    [InlineData("""[ 1, 2 ]""", "not a JSON object")]
    [InlineData("""{ "agents": "four" }""", "malformed gossip configuration")]
    public void AMalformedFileIsRefusedNamingIt(string json, string reason)
    {
        string path = Write(json);
        var e = Assert.Throws<NanoFed.Nets.DataFormatException>(() => GossipConfig.Read(path));
        Assert.Contains(path, e.Message, StringComparison.Ordinal);
        Assert.Contains(reason, e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void WithTakesOnlyTheNamedValues()
    {
        var file = new GossipConfig { Method = "sgp", Agents = 4, Seed = 1 };
        var options = new GossipConfig { Method = "choco", Agents = 16, Seed = 2 };
        var merged = file.With(options, ["seed", "out"]);
        Assert.Equal(("sgp", 4, 2UL), (merged.Method, merged.Agents, merged.Seed));
    }

    [Fact]
    public void ResumeRefusesAChangedOptionButTakesTheResumableOnes()
    {
        string path = Write(new GossipConfig { Keep = 0.1, Epochs = 2 }.ToJson());
        var fresh = new GossipConfig { Keep = 0.5, Epochs = 9 };
        var e = Assert.Throws<ArgumentException>(() => GossipConfig.Resumed(path, fresh, ["keep"]));
        Assert.StartsWith("--resume: --keep 0.5 conflicts with the run's 0.1", e.Message, StringComparison.Ordinal);
        var resumed = GossipConfig.Resumed(path, fresh, ["epochs", "data"]);
        Assert.Equal((0.1, 9), (resumed.Keep, resumed.Epochs));
    }
}
