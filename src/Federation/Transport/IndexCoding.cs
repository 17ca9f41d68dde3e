namespace NanoFed.Federation.Transport;

/// <summary>
/// How the indices of a sparse tensor are written on the wire (specs/sparse-push.md, "Counting communication"). The
/// serialized bytes are the coding: <see cref="WireFormat"/> writes and reads each one, validating it on read.
/// </summary>
public enum IndexCoding
{
    /// <summary>One int32 per kept index (<see cref="WireEncoding.Sparse"/>, the spec's default): 4·k bytes.</summary>
    Int32,

    /// <summary>
    /// One uint16 per kept index (<see cref="WireEncoding.SparseUInt16"/>) when the tensor has at most 65,536 entries,
    /// else int32 as <see cref="Int32"/>: 2·k bytes.
    /// </summary>
    UInt16,

    /// <summary>One bit per entry of the tensor (<see cref="WireEncoding.SparseBitmap"/>): ⌈n / 8⌉ bytes, whatever k.</summary>
    Bitmap,

    /// <summary>
    /// Gaps g_j = idx_j − idx_(j−1) (idx_(−1) = −1, so g ≥ 1) in Elias-gamma code, 2·⌊log2 g⌋ + 1 bits each
    /// (<see cref="WireEncoding.SparseGamma"/>): ⌈Σ_j (2·⌊log2 g_j⌋ + 1) / 8⌉ bytes.
    /// </summary>
    EliasGammaDelta,
}
