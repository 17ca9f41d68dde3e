using Microsoft.Extensions.DependencyInjection;
using NanoFed.Cluster;
using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using Xunit;

namespace NanoFed.Tests.Cluster;

/// <summary>
/// The file storage `nanofed silo` keeps client state in: what one silo writes for a grain, another instance over the
/// same folder (another silo of the machine) reads back; a grain with no file reads as having no record; a cleared
/// state is gone.
/// </summary>
public sealed class FileGrainStorageTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("nanofed-state-").FullName;
    private readonly Serializer _serializer = new ServiceCollection().AddSerializer(b => b.AddAssembly(typeof(KeptState).Assembly))
        .BuildServiceProvider().GetRequiredService<Serializer>();

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task AStateWrittenByOneSiloIsReadByAnotherAndClearedStaysGone()
    {
        var grain = GrainId.Create("flclient", "7+run-a");
        var written = new GrainState<KeptState>(new KeptState { Bytes = [1, 2, 3, 250] });
        await new FileGrainStorage(_folder, _serializer).WriteStateAsync("kept", grain, written);

        var other = new FileGrainStorage(_folder, _serializer);
        var read = new GrainState<KeptState>(new KeptState());
        await other.ReadStateAsync("kept", grain, read);
        Assert.True(read.RecordExists);
        Assert.Equal(written.State!.Bytes, read.State!.Bytes);

        var stranger = new GrainState<KeptState>(new KeptState());
        await other.ReadStateAsync("kept", GrainId.Create("flclient", "7+run-b"), stranger);
        Assert.False(stranger.RecordExists);
        Assert.Null(stranger.State!.Bytes);

        await other.ClearStateAsync("kept", grain, read);
        var cleared = new GrainState<KeptState>(new KeptState());
        await other.ReadStateAsync("kept", grain, cleared);
        Assert.False(cleared.RecordExists);
    }
}
