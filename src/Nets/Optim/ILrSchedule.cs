namespace NanoFed.Nets.Optim;

/// <summary>
/// A learning-rate schedule as a pure function of the step index (step 0 is the value before the first scheduler
/// step, as PyTorch's <c>get_last_lr()</c> right after construction; step t after t calls of <c>scheduler.step()</c>).
/// Whether a step is a batch or an epoch is the caller's choice.
/// </summary>
public interface ILrSchedule
{
    /// <summary>The learning rate at <paramref name="step"/> (≥ 0).</summary>
    double LrAt(int step);
}
