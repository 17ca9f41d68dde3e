using FsCheck;
using FsCheck.Fluent;

namespace NanoFed.Tests;

/// <summary>Shapes for the group normalizations' gradient checks: (N, C, H, W, G) with G dividing C, from 1 group to one per channel.</summary>
internal static class NormShapes
{
    public static Gen<(int N, int C, int H, int W, int G)> Generator =>
        from n in Gen.Choose(1, 3)
        from c in Gen.Choose(1, 6)
        from g in Gen.Elements(Enumerable.Range(1, c).Where(d => c % d == 0).ToArray())
        from h in Gen.Choose(1, 3)
        from w in Gen.Choose(2, 3)
        select (n, c, h, w, g);
}
