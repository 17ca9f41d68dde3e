using NanoFed.Autograd;
using NanoFed.Nets.Modules;
using NanoFed.Nets.Optim;

namespace NanoFed.Nets.Training;

/// <summary>
/// The one supervised training step of NanoFed, which every trainer takes (<see cref="Trainer"/>, FedAvg's clients,
/// EcoFed's server, the gossip agents, split learning's heads and server copies): the model's forward pass on the tape
/// and the batch's mean cross-entropy (<see cref="Loss"/>), then the gradients zeroed, the backward pass, the
/// optimizer's step and the tape's reset (<see cref="Update"/>). A trainer that looks at the loss before the update (a
/// divergence check, running statistics) or adds to it (distillation) calls the two halves, or <see cref="Update"/>
/// alone; the others call <see cref="Run"/>. The model's mode (train or eval) is the caller's.
/// </summary>
public static class SupervisedStep
{
    /// <summary>The logits of <paramref name="model"/> on <paramref name="images"/> and their cross-entropy against <paramref name="labels"/>, recorded on <paramref name="tape"/>.</summary>
    public static (Variable Logits, Variable Loss) Loss(Tape tape, Module model, Tensor images, int[] labels)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(model);
        var logits = model.Forward(tape, new Variable(images));
        return (logits, tape.CrossEntropy(logits, labels));
    }

    /// <summary>
    /// Zeroes the gradients of <paramref name="optimizer"/>'s parameters, back-propagates <paramref name="loss"/>, calls
    /// <paramref name="beforeStep"/> (which may change the gradients), steps and resets <paramref name="tape"/>.
    /// </summary>
    public static void Update(Tape tape, Sgd optimizer, Variable loss, Action? beforeStep = null)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(optimizer);
        optimizer.ZeroGrad();
        tape.Backward(loss);
        beforeStep?.Invoke();
        optimizer.Step();
        tape.Reset();
    }

    /// <summary><see cref="Loss"/> then <see cref="Update"/>; returns the batch's loss.</summary>
    public static float Run(Tape tape, Module model, Sgd optimizer, Tensor images, int[] labels)
    {
        var (_, loss) = Loss(tape, model, images, labels);
        float value = loss.Data.Span[0];
        Update(tape, optimizer, loss);
        return value;
    }
}
