using NanoFed.Nets.Modules;

namespace NanoFed.Federation.Systems;

/// <summary>
/// Counts the FLOPs of a model's forward pass for one image: each module counts its own
/// (<see cref="Module.ForwardFlops"/>, which states the conventions) while the shape flows through. Training costs forward + backward ≈ 3× forward (<see cref="TrainingFactor"/>): the backward pass computes
/// gradients of both inputs and weights, each about one forward.
/// </summary>
public static class FlopCounter
{
    /// <summary>Training FLOPs per image = forward FLOPs × this factor (forward 1 + backward ≈ 2).</summary>
    public const double TrainingFactor = 3.0;

    /// <summary>Forward FLOPs of <paramref name="model"/> for one image of <paramref name="input"/> = (C, H, W) or (features).</summary>
    public static long Forward(Module model, ReadOnlySpan<int> input) => Walk(model, input, out _);

    /// <summary>
    /// The shape of <paramref name="model"/>'s output for one image of <paramref name="input"/>, without the batch
    /// axis: a split model's cut shape (128×8×8 for VGG11-EcoFed's device part on 3×32×32).
    /// </summary>
    public static int[] OutputShape(Module model, ReadOnlySpan<int> input)
    {
        Walk(model, input, out var shape);
        return shape;
    }

    /// <summary>Training FLOPs (forward + backward) for <paramref name="images"/> images.</summary>
    public static double Training(Module model, ReadOnlySpan<int> input, long images) => TrainingFactor * Forward(model, input) * images;

    private static long Walk(Module model, ReadOnlySpan<int> input, out int[] shape)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (input.Length is not (1 or 3)) throw new ArgumentException($"input shape must be (C, H, W) or (features), got rank {input.Length}", nameof(input));
        shape = input.ToArray();
        return model.ForwardFlops(ref shape);
    }
}
