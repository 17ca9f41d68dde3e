namespace NanoFed.Kernels;

/// <summary>
/// Knowledge-distillation loss with temperature T (Hinton et al., arXiv:1503.02531; FedGKT, arXiv:2007.14513):
/// loss = T² · (1/N) Σ_n KL(p_t ‖ p_s) = T²/N Σ_n Σ_c p_t (log p_t − log p_s), with p_s = softmax(s/T) of the
/// student logits and p_t = softmax(t/T) of the teacher logits. PyTorch:
/// <c>F.kl_div(F.log_softmax(s/T, 1), F.softmax(t/T, 1), reduction='batchmean') * T * T</c>.
/// student, teacher, logPs, logPt: (N, C). Scalar, in double (see <see cref="LogSoftmax"/>).
/// </summary>
public static class KlDiv
{
    /// <summary>Returns the loss and overwrites logPs = log_softmax(s/T), logPt = log_softmax(t/T) (saved for backward).</summary>
    public static float Forward(ReadOnlySpan<float> student, ReadOnlySpan<float> teacher, float temperature,
        Span<float> logPs, Span<float> logPt, int n, int c)
    {
        LogSoftmax.CheckRows(student.Length, teacher.Length, n, c, "kl-div");
        LogSoftmax.CheckRows(logPs.Length, logPt.Length, n, c, "kl-div");
        LogSoftmax.Forward(student, logPs, n, c, temperature);
        LogSoftmax.Forward(teacher, logPt, n, c, temperature);
        double total = 0;
        for (int i = 0; i < n * c; i++) total += Math.Exp(logPt[i]) * ((double)logPt[i] - logPs[i]);
        return n == 0 ? float.NaN : (float)(total * temperature * temperature / n);
    }

    /// <summary>Accumulates dStudent += dLoss · T/N · (p_s − p_t). logPs, logPt, dStudent: (N, C).</summary>
    public static void BackwardStudent(ReadOnlySpan<float> logPs, ReadOnlySpan<float> logPt, float temperature, float dLoss,
        Span<float> dStudent, int n, int c)
    {
        LogSoftmax.CheckRows(logPs.Length, logPt.Length, n, c, "kl-div backward");
        LogSoftmax.CheckRows(logPs.Length, dStudent.Length, n, c, "kl-div backward");
        if (n == 0) return;
        double scale = (double)dLoss * temperature / n;
        for (int i = 0; i < n * c; i++) dStudent[i] += (float)(scale * (Math.Exp(logPs[i]) - Math.Exp(logPt[i])));
    }

    /// <summary>
    /// Accumulates dTeacher += dLoss · T/N · p_t (d − Σ_j p_t d_j) with d = log p_t − log p_s, row by row
    /// (for a teacher that is itself trained). logPs, logPt, dTeacher: (N, C).
    /// </summary>
    public static void BackwardTeacher(ReadOnlySpan<float> logPs, ReadOnlySpan<float> logPt, float temperature, float dLoss,
        Span<float> dTeacher, int n, int c)
    {
        LogSoftmax.CheckRows(logPs.Length, logPt.Length, n, c, "kl-div backward");
        LogSoftmax.CheckRows(logPs.Length, dTeacher.Length, n, c, "kl-div backward");
        if (n == 0) return;
        double scale = (double)dLoss * temperature / n;
        for (int row = 0; row < n; row++)
        {
            int o = row * c;
            double mean = 0;
            for (int j = 0; j < c; j++) mean += Math.Exp(logPt[o + j]) * ((double)logPt[o + j] - logPs[o + j]);
            for (int j = 0; j < c; j++)
                dTeacher[o + j] += (float)(scale * Math.Exp(logPt[o + j]) * ((double)logPt[o + j] - logPs[o + j] - mean));
        }
    }

    /// <summary>
    /// The naive reference: the loss, and the accumulated gradients of both inputs (pass an empty span to skip
    /// one), from softmax probabilities computed directly in double.
    /// </summary>
    public static float Reference(ReadOnlySpan<float> student, ReadOnlySpan<float> teacher, float temperature, float dLoss,
        Span<float> dStudent, Span<float> dTeacher, int n, int c)
    {
        double t = temperature, total = 0;
        var ps = new double[c];
        var pt = new double[c];
        for (int row = 0; row < n; row++)
        {
            double ss = 0, st = 0;
            for (int j = 0; j < c; j++) { ps[j] = Math.Exp(student[row * c + j] / t); ss += ps[j]; }
            for (int j = 0; j < c; j++) { pt[j] = Math.Exp(teacher[row * c + j] / t); st += pt[j]; }
            double kl = 0;
            for (int j = 0; j < c; j++) { ps[j] /= ss; pt[j] /= st; kl += pt[j] * Math.Log(pt[j] / ps[j]); }
            total += kl;
            for (int j = 0; j < c; j++)
            {
                if (!dStudent.IsEmpty) dStudent[row * c + j] += (float)(dLoss * t / n * (ps[j] - pt[j]));
                if (!dTeacher.IsEmpty) dTeacher[row * c + j] += (float)(dLoss * t / n * pt[j] * (Math.Log(pt[j] / ps[j]) - kl));
            }
        }
        return (float)(total * t * t / n);
    }
}
