using Orleans;
using Orleans.Runtime;
using Orleans.Serialization;
using Orleans.Storage;

namespace NanoFed.Cluster;

/// <summary>
/// Grain storage in files, one per grain and state under one folder, written atomically (a temporary file, then a
/// rename): what `nanofed silo` keeps client state in (<see cref="SiloSetup.AddNanoFedFileStorage"/>). Silos on one
/// machine share the folder; silos on several machines need it on a shared file system (or an ADO.NET provider under
/// the same name, <see cref="SiloSetup.StorageName"/>). A grain has one activation in the cluster, so writes of one
/// file do not race and no ETag is checked.
/// </summary>
internal sealed class FileGrainStorage(string folder, Serializer serializer) : IGrainStorage
{
    /// <inheritdoc/>
    public async Task ReadStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        string path = PathOf(stateName, grainId);
        grainState.RecordExists = File.Exists(path);
        if (grainState.RecordExists) grainState.State = serializer.Deserialize<T>(await File.ReadAllBytesAsync(path));
    }

    /// <inheritdoc/>
    public async Task WriteStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        string path = PathOf(stateName, grainId), temporary = path + ".tmp";
        Directory.CreateDirectory(folder);
        await File.WriteAllBytesAsync(temporary, serializer.SerializeToArray(grainState.State));
        File.Move(temporary, path, overwrite: true);
        grainState.RecordExists = true;
    }

    /// <inheritdoc/>
    public Task ClearStateAsync<T>(string stateName, GrainId grainId, IGrainState<T> grainState)
    {
        ArgumentNullException.ThrowIfNull(grainState);
        File.Delete(PathOf(stateName, grainId));
        grainState.RecordExists = false;
        return Task.CompletedTask;
    }

    private string PathOf(string stateName, GrainId grainId) => Path.Combine(folder, Uri.EscapeDataString($"{stateName}.{grainId}") + ".bin");
}
