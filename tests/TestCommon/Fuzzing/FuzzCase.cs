using FsCheck;
using FsCheck.Fluent;

namespace NanoFed.Tests.Fuzzing;

/// <summary>One to four <see cref="Mutation"/>s applied in order to a valid input, drawn by FsCheck.</summary>
/// <param name="Mutations">The edits, first applied first.</param>
public sealed record FuzzCase(IReadOnlyList<Mutation> Mutations)
{
    /// <summary>The mutated input.</summary>
    public byte[] Apply(byte[] valid, IReadOnlyList<FuzzField> fields)
    {
        var bytes = valid;
        foreach (var m in Mutations) bytes = m.Apply(bytes, fields);
        return bytes;
    }

    /// <inheritdoc/>
    public override string ToString() => string.Join(", ", Mutations);

    /// <summary>
    /// Cases weighted towards what breaks parsers: bit flips, truncation, insertion (random bytes or a run of one
    /// byte), deletion, length-field edits (small deltas and edge values), huge values and edits of decimal numbers.
    /// </summary>
    public static Gen<FuzzCase> Generator()
    {
        var position = Gen.Choose(0, int.MaxValue);
        var randomBytes = from n in Gen.Choose(1, 64)
                          from b in Gen.ArrayOf(ArbMap.Default.GeneratorFor<byte>(), n)
                          select b;
        var runBytes = from n in Gen.Choose(1, 4096)
                       from b in Gen.Elements<byte>(0, 0xff, (byte)'0', (byte)'{', (byte)'"')
                       select Enumerable.Repeat(b, n).ToArray();
        var mutation = Gen.Frequency(
            (6, from at in position from bit in Gen.Choose(0, 7) select (Mutation)new Mutation.BitFlip(at, bit)),
            (2, from at in position select (Mutation)new Mutation.Truncate(at)),
            (2, from at in position from b in Gen.OneOf(randomBytes, runBytes) select (Mutation)new Mutation.Insert(at, b)),
            (1, from at in position from n in Gen.Choose(1, 64) select (Mutation)new Mutation.Delete(at, n)),
            (4, from f in position
                from v in Gen.OneOf(Gen.Constant(-1), Gen.Choose(0, Mutation.Interesting.Length - 1))
                from d in Gen.Choose(-3, 3)
                select (Mutation)new Mutation.FieldEdit(f, v, d)),
            (2, from at in position from w in Gen.Elements(1, 2, 4, 8) from s in Gen.Elements(true, false)
                select (Mutation)new Mutation.Huge(at, w, s)),
            (2, from which in position from v in Gen.Choose(0, Mutation.Interesting.Length + 30)
                select (Mutation)new Mutation.NumberEdit(which, v)));
        return from n in Gen.Choose(1, 4)
               from ms in Gen.ListOf(mutation, n)
               select new FuzzCase(ms.ToArray());
    }
}
