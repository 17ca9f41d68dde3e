using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// Tests that set <see cref="Threading.Workers.Count"/> run alone: the count is process-wide, so a test running beside
/// them could change it under them (two "different" thread counts would then be the same one), and a loop running
/// beside them holds the workers, which makes theirs run serially.
/// </summary>
[CollectionDefinition(nameof(WorkerCountCollection), DisableParallelization = true)]
public sealed class WorkerCountCollection;
