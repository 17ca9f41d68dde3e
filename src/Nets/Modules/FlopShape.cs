namespace NanoFed.Nets.Modules;

/// <summary>Shape arithmetic shared by the modules' <see cref="Module.ForwardFlops"/>: one image, no batch axis.</summary>
internal static class FlopShape
{
    public static long Elements(int[] shape)
    {
        long n = 1;
        foreach (int d in shape) n *= d;
        return n;
    }

    /// <summary>Throws unless <paramref name="shape"/> is (<paramref name="channels"/>, H, W).</summary>
    public static void NeedImage(int[] shape, int channels, string module)
    {
        if (shape.Length != 3 || shape[0] != channels)
            throw new ArgumentException($"{module} expects ({channels}, H, W), got ({string.Join(", ", shape)})");
    }

    /// <summary>Advances a (C, H, W) shape through a square window; returns the output's spatial size.</summary>
    public static int[] Window(int[] shape, int kernel, int stride, int padding, string module)
    {
        if (shape.Length != 3) throw new ArgumentException($"{module} expects (C, H, W), got ({string.Join(", ", shape)})");
        return [shape[0], (shape[1] + 2 * padding - kernel) / stride + 1, (shape[2] + 2 * padding - kernel) / stride + 1];
    }
}
