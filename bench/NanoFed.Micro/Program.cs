using BenchmarkDotNet.Running;

// BenchmarkDotNet micro-benchmarks of the kernels; each class validates its kernels against their references in
// [GlobalSetup] before anything is timed. See bench/README.md for the commands.
BenchmarkSwitcher.FromAssembly(typeof(NanoFed.Micro.Data).Assembly).Run(args);
