using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>A module's state dict as named checkpoint entries under a prefix, and back: the pieces of <see cref="IFlStrategy.SaveState"/>.</summary>
public static class StrategyState
{
    /// <summary>Every parameter and buffer of <paramref name="module"/>, named <paramref name="prefix"/> + its state-dict name.</summary>
    public static IEnumerable<SafeTensor> Save(string prefix, Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        return module.StateDict().Select(t => SafeTensor.FromTensor(prefix + t.Name, t.Value));
    }

    /// <summary>Loads the entries under <paramref name="prefix"/> into <paramref name="module"/> (strictly: every name, every shape).</summary>
    public static void Load(string prefix, Module module, IReadOnlyDictionary<string, SafeTensor> state)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(state);
        var own = state.Where(e => e.Key.StartsWith(prefix, StringComparison.Ordinal))
            .ToDictionary(e => e.Key[prefix.Length..], e => e.Value.ToTensor(), StringComparer.Ordinal);
        module.LoadStateDict(own, namePrefix: prefix);
    }
}
