using System.Buffers.Binary;
using System.Text;

namespace NanoFed.Tests.Fuzzing;

/// <summary>
/// One edit of a parser's input. Positions are drawn as raw non-negative integers and reduced modulo the length of
/// the input they are applied to, so a mutation stays meaningful after earlier ones have changed the length.
/// </summary>
public abstract record Mutation
{
    /// <summary>Values a field or number is set to: the edges of every integer width and sizes far beyond any file.</summary>
    public static readonly long[] Interesting =
    [
        0, 1, 2, 7, 8, 255, 256, 65535, 65536, int.MaxValue, (long)int.MaxValue + 1, uint.MaxValue, 1L << 32,
        1L << 40, 1L << 60, long.MaxValue, -1, int.MinValue, long.MinValue,
    ];

    /// <summary>Applies the edit to <paramref name="input"/>, returning a new array (the input is not modified).</summary>
    public abstract byte[] Apply(byte[] input, IReadOnlyList<FuzzField> fields);

    /// <summary>Inverts bit <paramref name="Bit"/> of the byte at <paramref name="At"/>.</summary>
    public sealed record BitFlip(int At, int Bit) : Mutation
    {
        /// <inheritdoc/>
        public override byte[] Apply(byte[] input, IReadOnlyList<FuzzField> fields)
        {
            var o = (byte[])input.Clone();
            if (o.Length > 0) o[At % o.Length] ^= (byte)(1 << (Bit & 7));
            return o;
        }
    }

    /// <summary>Keeps only the first At mod length bytes.</summary>
    public sealed record Truncate(int At) : Mutation
    {
        /// <inheritdoc/>
        public override byte[] Apply(byte[] input, IReadOnlyList<FuzzField> fields) =>
            input.Length == 0 ? input : input[..(At % input.Length)];
    }

    /// <summary>Inserts <paramref name="Bytes"/> before position At mod (length + 1).</summary>
    public sealed record Insert(int At, byte[] Bytes) : Mutation
    {
        /// <inheritdoc/>
        public override byte[] Apply(byte[] input, IReadOnlyList<FuzzField> fields)
        {
            int at = At % (input.Length + 1);
            return [.. input.AsSpan(0, at), .. Bytes, .. input.AsSpan(at)];
        }

        /// <inheritdoc/>
        public override string ToString() => $"Insert {{ At = {At}, Bytes = {Convert.ToHexString(Bytes)} }}";
    }

    /// <summary>Removes up to <paramref name="Count"/> bytes from position At mod length.</summary>
    public sealed record Delete(int At, int Count) : Mutation
    {
        /// <inheritdoc/>
        public override byte[] Apply(byte[] input, IReadOnlyList<FuzzField> fields)
        {
            if (input.Length == 0) return input;
            int at = At % input.Length, n = Math.Min(Count, input.Length - at);
            return [.. input.AsSpan(0, at), .. input.AsSpan(at + n)];
        }
    }

    /// <summary>
    /// Rewrites field Field mod count of the valid input's fields (a length, count or dimension) to its value plus
    /// <paramref name="Delta"/>, or to <see cref="Interesting"/>[Value] when Value is not negative; skipped when an
    /// earlier edit has cut the field off.
    /// </summary>
    public sealed record FieldEdit(int Field, int Value, int Delta) : Mutation
    {
        /// <inheritdoc/>
        public override byte[] Apply(byte[] input, IReadOnlyList<FuzzField> fields)
        {
            var o = (byte[])input.Clone();
            if (fields.Count == 0) return o;
            var f = fields[Field % fields.Count];
            if (f.Offset + f.Width > o.Length) return o;
            var span = o.AsSpan(f.Offset, f.Width);
            long v = Value >= 0 ? Interesting[Value % Interesting.Length] : Read(span, f.BigEndian) + Delta;
            Write(span, f.BigEndian, v);
            return o;
        }

        private static long Read(ReadOnlySpan<byte> s, bool big) => s.Length switch
        {
            1 => s[0],
            2 => big ? BinaryPrimitives.ReadUInt16BigEndian(s) : BinaryPrimitives.ReadUInt16LittleEndian(s),
            4 => big ? BinaryPrimitives.ReadInt32BigEndian(s) : BinaryPrimitives.ReadInt32LittleEndian(s),
            _ => big ? BinaryPrimitives.ReadInt64BigEndian(s) : BinaryPrimitives.ReadInt64LittleEndian(s),
        };

        private static void Write(Span<byte> s, bool big, long v)
        {
            Span<byte> all = stackalloc byte[8];
            if (big) BinaryPrimitives.WriteInt64BigEndian(all, v);
            else BinaryPrimitives.WriteInt64LittleEndian(all, v);
            // The low-order bytes of the 64-bit value: the field's value modulo its width.
            (big ? all[(8 - s.Length)..] : all[..s.Length]).CopyTo(s);
        }
    }

    /// <summary>Overwrites <paramref name="Width"/> bytes at At mod length with all ones, or with 0x7f then ones (a huge signed value).</summary>
    public sealed record Huge(int At, int Width, bool Signed) : Mutation
    {
        /// <inheritdoc/>
        public override byte[] Apply(byte[] input, IReadOnlyList<FuzzField> fields)
        {
            var o = (byte[])input.Clone();
            if (o.Length == 0) return o;
            int at = At % o.Length, n = Math.Min(Width, o.Length - at);
            o.AsSpan(at, n).Fill(0xff);
            if (Signed) o[at + n - 1] = 0x7f;
            return o;
        }
    }

    /// <summary>Replaces the decimal number Which mod count of a text part (a JSON header's sizes and offsets) with <see cref="Interesting"/>[Value] or a longer run of nines.</summary>
    public sealed record NumberEdit(int Which, int Value) : Mutation
    {
        /// <inheritdoc/>
        public override byte[] Apply(byte[] input, IReadOnlyList<FuzzField> fields)
        {
            var runs = new List<(int Start, int End)>();
            for (int i = 0; i < input.Length;)
            {
                if (!char.IsAsciiDigit((char)input[i])) { i++; continue; }
                int start = i;
                while (i < input.Length && char.IsAsciiDigit((char)input[i])) i++;
                runs.Add((start, i));
            }
            if (runs.Count == 0) return (byte[])input.Clone();
            var (s, e) = runs[Which % runs.Count];
            string number = Value < Interesting.Length ? Interesting[Value].ToString(System.Globalization.CultureInfo.InvariantCulture) : new string('9', Value);
            return [.. input.AsSpan(0, s), .. Encoding.ASCII.GetBytes(number), .. input.AsSpan(e)];
        }
    }
}
