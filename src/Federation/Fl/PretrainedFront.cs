using System.Security.Cryptography;
using NanoFed.Nets;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Fl;

/// <summary>
/// Where EcoFed's frozen device part comes from (specs/ecofed.md, method 5: "NanoFed must accept any pre-trained
/// front and say which one a run used"): a safetensors file, either holding the front's own entries or a whole-model
/// checkpoint written by <c>nanofed train</c> (whose state_dict names are the whole model's, which
/// <see cref="Sequential.Split"/> keeps, so the front takes the entries of its own modules and ignores the rest); or
/// <see cref="None"/>, a randomly initialised frozen front, an ablation that the run's description names as such.
/// </summary>
public sealed class PretrainedFront
{
    private readonly Dictionary<string, Tensor> _tensors;

    private PretrainedFront(string? path, string description, Dictionary<string, Tensor> tensors)
    {
        Path = path;
        Description = description;
        _tensors = tensors;
    }

    /// <summary>No pre-trained weights: the front keeps the model's random initialisation (an ablation).</summary>
    public static PretrainedFront None { get; } = new(null, "none: random initialisation", new Dictionary<string, Tensor>(StringComparer.Ordinal));

    /// <summary>The file the weights came from; null for <see cref="None"/>.</summary>
    public string? Path { get; }

    /// <summary>For the run folder: "PATH (sha256 HEX)", or "none: random initialisation".</summary>
    public string Description { get; }

    /// <summary>
    /// Reads the safetensors file at <paramref name="safetensorsPath"/> (a front-only file or a whole-model training
    /// checkpoint) and fingerprints it with SHA-256. A missing or malformed file raises a <see cref="DataFormatException"/>.
    /// </summary>
    public static PretrainedFront Load(string safetensorsPath)
    {
        ArgumentException.ThrowIfNullOrEmpty(safetensorsPath);
        var (tensors, _) = SafeTensors.Read(safetensorsPath);
        string hash;
        using (var stream = File.OpenRead(safetensorsPath)) hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        return new PretrainedFront(safetensorsPath, $"{safetensorsPath} (sha256 {hash})", tensors);
    }

    /// <summary>
    /// Copies the weights into <paramref name="front"/>: every state_dict entry of the front must be in the file with
    /// its shape, entries beyond the front are ignored. Everything is checked before anything is written; a missing,
    /// mis-shaped or non-finite tensor (or a negative running variance) raises a <see cref="DataFormatException"/>
    /// naming the file and the tensor. <see cref="None"/>
    /// leaves the front as it is.
    /// </summary>
    public void CopyInto(Module front)
    {
        ArgumentNullException.ThrowIfNull(front);
        if (Path is null) return;
        var state = front.StateDict();
        foreach (var (name, value) in state)
        {
            if (!_tensors.TryGetValue(name, out var source))
                throw new DataFormatException(Path, $"no tensor '{name}', which the pre-trained front needs");
            if (source.Shape != value.Shape)
                throw new DataFormatException(Path, $"tensor '{name}' has shape {source.Shape}, the front needs {value.Shape}");
            // A poisoned front would freeze NaN into every device for the whole run.
            if (Nets.Training.Divergence.NonFinite([(name, source)]) is { } bad) throw new DataFormatException(Path, bad);
            if (name.EndsWith("running_var", StringComparison.Ordinal) && System.Numerics.Tensors.TensorPrimitives.Min(source.Span) < 0)
                throw new DataFormatException(Path, $"{name} holds a negative variance");
        }
        foreach (var (name, value) in state) _tensors[name].Span.CopyTo(value.Span);
    }

    /// <inheritdoc/>
    public override string ToString() => Description;
}
