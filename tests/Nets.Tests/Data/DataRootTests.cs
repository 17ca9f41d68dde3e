using NanoFed.Nets.Data;
using Xunit;

namespace NanoFed.Tests;

public class DataRootTests
{
    [Fact]
    public void OptionWinsWhenItExists()
    {
        using var dir = new TempDir();
        Assert.Equal(dir.PathName, DataRoot.Resolve(dir.PathName));
    }

    [Fact]
    public void MissingFolderIsNamed()
    {
        string missing = Path.Combine(Path.GetTempPath(), "nanofed-no-such-folder");
        Assert.Contains($"data folder {missing} does not exist", Assert.Throws<ArgumentException>(() => DataRoot.Resolve(missing)).Message);
    }
}
