namespace NanoFed.Autograd;

/// <summary>Distillation loss T²·KL(softmax(t/T) ‖ softmax(s/T)), batch mean (see <see cref="Kernels.KlDiv"/>).</summary>
public static class KlDivOp
{
    /// <summary>
    /// studentLogits and teacherLogits (N, C) → the loss as a rank-0 variable (shape [], one element). Gradients
    /// flow to the student, and to the teacher when it requires one (detach it for FedGKT-style distillation).
    /// </summary>
    public static Variable KlDiv(this Tape tape, Variable studentLogits, Variable teacherLogits, float temperature)
    {
        ArgumentNullException.ThrowIfNull(tape);
        ArgumentNullException.ThrowIfNull(studentLogits);
        ArgumentNullException.ThrowIfNull(teacherLogits);
        if (studentLogits.Shape.Rank != 2 || studentLogits.Shape != teacherLogits.Shape)
            throw new ArgumentException($"kl-div: student and teacher logits must both be (N, C), got {studentLogits.Shape} and {teacherLogits.Shape}");
        int n = studentLogits.Shape[0], c = studentLogits.Shape[1];
        var loss = tape.Intermediate(new Shape());
        var logPs = tape.Scratch(studentLogits.Shape, zero: false);
        var logPt = tape.Scratch(studentLogits.Shape, zero: false);
        loss.Data.Span[0] = Kernels.KlDiv.Forward(studentLogits.Data.Span, teacherLogits.Data.Span, temperature, logPs.Span, logPt.Span, n, c);
        if (tape.Records(studentLogits, teacherLogits))
        {
            tape.Record(new TapeEntry
            {
                Backward = BackwardFn, Output = loss, A = studentLogits, B = teacherLogits,
                Saved0 = logPs, Saved1 = logPt, F0 = temperature,
            });
        }
        return loss;
    }

    private static readonly BackwardFn BackwardFn = static (ref readonly TapeEntry e) =>
    {
        int n = e.A!.Shape[0], c = e.A.Shape[1];
        float dLoss = e.Output.Grad!.Span[0];
        var dS = e.A.GradForAccumulation();
        if (dS is not null) Kernels.KlDiv.BackwardStudent(e.Saved0!.Span, e.Saved1!.Span, e.F0, dLoss, dS.Span, n, c);
        var dT = e.B!.GradForAccumulation();
        if (dT is not null) Kernels.KlDiv.BackwardTeacher(e.Saved0!.Span, e.Saved1!.Span, e.F0, dLoss, dT.Span, n, c);
    };
}
