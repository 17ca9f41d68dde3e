using System.Diagnostics;
using FsCheck;
using FsCheck.Fluent;
using Microsoft.FSharp.Core;
using Xunit;

namespace NanoFed.Tests.Fuzzing;

/// <summary>
/// Mutation fuzzing of a parser: FsCheck draws <see cref="FuzzCase"/>s from a fixed seed, each is applied to a valid
/// input, and the parser must either accept the result or refuse it with its own documented error type and a
/// one-line message. Any other exception fails the test with the case that caused it, as does a parse that
/// allocates more than its stated bound (measured with <see cref="GC.GetAllocatedBytesForCurrentThread"/>).
/// </summary>
public static class Fuzz
{
    /// <summary>Mutated inputs per parser.</summary>
    public const int Cases = 10_000;

    /// <summary>The environment variable naming a file to which every fuzz test appends its counts (.ci/run prints it: a passing test's output is not shown).</summary>
    public const string LogVariable = "NANOFED_FUZZ_LOG";

    /// <summary>Writes <paramref name="line"/> to the test's output and, when <see cref="LogVariable"/> is set, appends it to that file.</summary>
    public static void Report(ITestOutputHelper output, string line)
    {
        ArgumentNullException.ThrowIfNull(output);
        output.WriteLine(line);
        if (Environment.GetEnvironmentVariable(LogVariable) is { Length: > 0 } log) File.AppendAllText(log, line + "\n");
    }

    /// <summary>
    /// Runs <see cref="Cases"/> mutations of <paramref name="valid"/> through the parser and prints the counts.
    /// <paramref name="prepare"/> stages one input (writes its file, say) and returns the parse itself, the only
    /// part whose allocation is measured; <paramref name="allocationBound"/> gives the bound in bytes for an input
    /// of a given length.
    /// </summary>
    public static void Run<TError>(ITestOutputHelper output, string parser, byte[] valid, IReadOnlyList<FuzzField> fields,
        Func<byte[], Action> prepare, Func<int, long> allocationBound, ulong seed = 20)
        where TError : Exception
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(prepare);
        prepare(valid)();
        int count = 0, refused = 0;
        long mostAllocated = 0;
        var clock = Stopwatch.StartNew();
        var config = Config.QuickThrowOnFailure.WithMaxTest(Cases).WithQuietOnSuccess(true)
            .WithReplay(FSharpOption<Replay>.Some(new Replay(new Rnd(seed), FSharpOption<int>.None)));
        Prop.ForAll(Arb.From(FuzzCase.Generator()), c =>
        {
            byte[] input = c.Apply(valid, fields);
            var parse = prepare(input);
            count++;
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                parse();
            }
            catch (TError e)
            {
                refused++;
                Assert.False(e.Message.Contains('\n', StringComparison.Ordinal), $"{parser}: {typeof(TError).Name} message spans lines: {e.Message}");
            }
            catch (Exception e)
            {
                Assert.Fail($"{parser}: {e.GetType().Name} instead of {typeof(TError).Name} for {input.Length} bytes after [{c}]: {e.Message}\n{e.StackTrace}");
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            mostAllocated = Math.Max(mostAllocated, allocated);
            Assert.True(allocated <= allocationBound(input.Length),
                $"{parser}: one parse of {input.Length} bytes allocated {allocated} bytes, above its bound of {allocationBound(input.Length)}, after [{c}]");
        }).Check(config);
        Report(output, $"{parser}: {count} mutated inputs (seed {seed}) in {clock.Elapsed.TotalSeconds:F1} s: {refused} refused with " +
            $"{typeof(TError).Name}, {count - refused} accepted; most allocated by one parse {mostAllocated} bytes");
        Assert.True(count >= Cases, $"{parser}: only {count} cases ran");
    }
}
