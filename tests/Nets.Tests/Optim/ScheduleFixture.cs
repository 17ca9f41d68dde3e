namespace NanoFed.Tests.Optim;

/// <summary>Learning-rate sequences of torch.optim.lr_scheduler in tests/fixtures/schedules.safetensors (gen_models.py).</summary>
internal static class ScheduleFixture
{
    private static readonly Fixture Fx = Fixture.Load("schedules");

    /// <summary>Asserts that <paramref name="at"/>(t) matches the stored sequence <paramref name="name"/> at every step.</summary>
    public static void Check(string name, Func<int, double> at)
    {
        float[] expected = Fx.Values(name);
        float[] actual = Enumerable.Range(0, expected.Length).Select(t => (float)at(t)).ToArray();
        Close.Assert(expected, actual, name);
    }
}
