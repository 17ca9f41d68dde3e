namespace NanoFed.Nets;

/// <summary>
/// A data or checkpoint file that is missing or malformed. The message is one line, "path: fault", so a
/// command-line tool can print it as it is.
/// </summary>
public sealed class DataFormatException : Exception
{
    /// <summary>Creates the exception for the file at <paramref name="path"/> with a one-line <paramref name="fault"/>.</summary>
    public DataFormatException(string path, string fault, Exception? inner = null)
        : base($"{path}: {WithoutParameterName(fault, inner)}", inner)
    {
        FilePath = path;
        Fault = WithoutParameterName(fault, inner);
    }

    /// <summary>A fault made from an <see cref="ArgumentException"/>'s message loses the " (Parameter 'x')" that .NET appends to it.</summary>
    private static string WithoutParameterName(string fault, Exception? inner) =>
        inner is ArgumentException { ParamName: { } name } ? fault.Replace($" (Parameter '{name}')", "", StringComparison.Ordinal) : fault;

    /// <summary>The file at fault (for a missing file, the path that was expected).</summary>
    public string FilePath { get; }

    /// <summary>What is wrong with it, without the path.</summary>
    public string Fault { get; }
}
