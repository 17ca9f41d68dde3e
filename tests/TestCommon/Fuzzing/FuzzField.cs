namespace NanoFed.Tests.Fuzzing;

/// <summary>
/// An integer field of a valid input (a length, count, dimension or magic) that a <see cref="Mutation.FieldEdit"/>
/// rewrites: where it starts, its width in bytes (1, 2, 4 or 8) and its byte order.
/// </summary>
/// <param name="Offset">Byte offset in the valid input.</param>
/// <param name="Width">Width in bytes: 1, 2, 4 or 8.</param>
/// <param name="BigEndian">True for big-endian (IDX), false for little-endian (safetensors, wire format).</param>
public readonly record struct FuzzField(int Offset, int Width, bool BigEndian = false);
