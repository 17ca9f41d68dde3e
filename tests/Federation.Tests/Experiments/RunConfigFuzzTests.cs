using System.Text;
using NanoFed.Federation.Experiments;
using NanoFed.Nets;
using NanoFed.Tests.Fuzzing;
using Xunit;

namespace NanoFed.Tests.Experiments;

/// <summary>
/// Mutation fuzzing of the run configurations as the commands load them (<see cref="Fuzz"/>): the JSON of an
/// <see cref="FlConfig"/> and of a <see cref="GossipConfig"/> (every key present), mutated as bytes (the decimal-number
/// edits hit its values), decoded as UTF-8 as a file is read, parsed, then validated. Parsing may refuse only with
/// <see cref="DataFormatException"/>; a parsed configuration may be refused by <c>Validate</c> only with a one-line
/// <see cref="ArgumentException"/> (that type exactly: the commands print it as bad input), counted apart. A parse may
/// allocate 64 bytes per input byte plus 1 MiB (the JSON tree, the default tree it is laid over, and the error).
/// </summary>
public class RunConfigFuzzTests(ITestOutputHelper output)
{
    [Fact]
    public void FlConfigRefusesOnlyWithItsErrors()
    {
        var valid = new FlConfig { Method = "ecofed", Split = "dirichlet", ClientPool = "0:5000", Quorum = 3, Dropout = 0.1, Bits = 4 };
        valid.Validate();
        Run("fl configuration", valid.ToJson(), json => FlConfig.Parse(json, "fuzz.json").Validate);
    }

    [Fact]
    public void GossipConfigRefusesOnlyWithItsErrors()
    {
        var valid = new GossipConfig { Method = "scsp", Agents = 8, Keep = 0.1, Gamma = 0.2f, ConsensusRounds = 10, MessageLoss = 0.05 };
        valid.Validate();
        Run("gossip configuration", valid.ToJson(), json => GossipConfig.Parse(json, "fuzz.json").Validate);
    }

    /// <summary>
    /// A key given twice (the fuzzer made one from a deletion and a bit flip) is a malformed file: it escaped as
    /// JsonObject's ArgumentException "An item with the same key has already been added".
    /// </summary>
    [Fact]
    public void AKeyGivenTwiceIsAMalformedFile()
    {
        var fl = Assert.Throws<DataFormatException>(() => FlConfig.Parse("{\"seed\": 1, \"seed\": 2}", "twice.json"));
        var gossip = Assert.Throws<DataFormatException>(() => GossipConfig.Parse("{\"norm\": \"batch\", \"norm\": \"group\"}", "twice.json"));
        Assert.All(new[] { fl.Message, gossip.Message }, m => Assert.Contains("twice.json", m, StringComparison.Ordinal));
    }

    /// <summary><paramref name="parse"/> parses and returns the validation, which runs inside the measured parse.</summary>
    private void Run(string parser, string json, Func<string, Action> parse)
    {
        int invalid = 0;
        Fuzz.Run<DataFormatException>(output, parser, Encoding.UTF8.GetBytes(json), [], bytes => () =>
        {
            var validate = parse(Encoding.UTF8.GetString(bytes));
            try
            {
                validate();
            }
            catch (ArgumentException e) when (e.GetType() == typeof(ArgumentException))
            {
                invalid++;
                Assert.False(e.Message.Contains('\n', StringComparison.Ordinal), $"{parser}: Validate's message spans lines: {e.Message}");
            }
        }, n => 64L * n + (1 << 20));
        Fuzz.Report(output, $"{parser}: {invalid} of the parsed configurations refused by Validate with ArgumentException");
    }
}
