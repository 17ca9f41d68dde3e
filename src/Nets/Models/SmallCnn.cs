using NanoFed.Nets.Modules;

namespace NanoFed.Nets.Models;

/// <summary>
/// A small CNN for 28×28 grey images ((Fashion-)MNIST): conv3×3 1→32, ReLU, max-pool 2, conv3×3 32→64, ReLU,
/// max-pool 2, flatten, linear → 128, ReLU, linear 128 → classes. Convolutions use PyTorch's default padding 0
/// (28 → 26 → 13 → 11 → 5), so the flattened features are 64×5×5 = 1,600 and the model has 225,034 parameters for
/// 10 classes; with <c>padding</c> 1 the features are 64×7×7 = 3,136 and the count is 421,642. Names and split
/// indices: 0 conv1 | 1 relu1 | 2 pool1 | 3 conv2 | 4 relu2 | 5 pool2 | 6 flatten | 7 fc1 | 8 relu3 | 9 fc2.
/// Initialization is PyTorch's default for every layer.
/// </summary>
public static class SmallCnn
{
    /// <summary>Builds the model for <paramref name="classes"/> classes.</summary>
    public static Sequential Create(RngStream rng, int classes = 10, int padding = 0)
    {
        ArgumentNullException.ThrowIfNull(rng);
        if (classes <= 0) throw new ArgumentOutOfRangeException(nameof(classes), classes, "need at least one class");
        if (padding is < 0 or > 1) throw new ArgumentOutOfRangeException(nameof(padding), padding, "padding must be 0 or 1");
        int side = (((28 - 2 + 2 * padding) / 2) - 2 + 2 * padding) / 2;
        return new Sequential(
            ("conv1", new Conv2d(1, 32, 3, rng, 1, padding)),
            ("relu1", new ReLU()),
            ("pool1", new MaxPool2d(2)),
            ("conv2", new Conv2d(32, 64, 3, rng, 1, padding)),
            ("relu2", new ReLU()),
            ("pool2", new MaxPool2d(2)),
            ("flatten", new Flatten()),
            ("fc1", new Linear(64 * side * side, 128, rng)),
            ("relu3", new ReLU()),
            ("fc2", new Linear(128, classes, rng)));
    }
}
