using Xunit;

namespace NanoFed.Tests;

/// <summary>
/// Tests that count allocated bytes run alone: tensor buffers come from one process-wide pool, and a test running
/// beside them could take a pooled buffer and force a fresh allocation on the measured thread.
/// </summary>
[CollectionDefinition(nameof(AllocationCollection), DisableParallelization = true)]
public sealed class AllocationCollection;
