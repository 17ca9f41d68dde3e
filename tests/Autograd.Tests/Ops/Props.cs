using FsCheck;
using FsCheck.Fluent;

namespace NanoFed.Tests;

/// <summary>Runs an FsCheck property over a generator with a small number of cases (each gradient check is two forwards per element).</summary>
internal static class Props
{
    public static void Check<T>(Gen<T> gen, Action<T> body, int maxTest = 12) =>
        FsCheck.Check.One(Config.QuickThrowOnFailure.WithMaxTest(maxTest), Prop.ForAll(Arb.From(gen), body));

    /// <summary>A seed for the data of one case.</summary>
    public static Gen<int> Seed => Gen.Choose(0, 1_000_000);
}
