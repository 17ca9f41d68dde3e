using System.CommandLine;
using System.Globalization;
using NanoFed.Nets.Data;
using NanoFed.Nets.Data.Sources;
using Spectre.Console;

namespace NanoFed.Cli;

/// <summary>`nanofed data fetch|check`: download, verify and unpack the data sets; verify a folder.</summary>
internal static class DataCommand
{
    public static Command Create()
    {
        var command = new Command("data", "Get and verify data sets (CIFAR-10, Fashion-MNIST)");
        command.Subcommands.Add(Fetch());
        command.Subcommands.Add(Check());
        return command;
    }

    private static Option<string?> DirOption() =>
        new("--dir") { Description = $"Data root to fill or check (default: {DataRoot.DefaultFolder})" };

    private static Argument<string> NameArgument() =>
        new("name") { Description = $"Data set: {string.Join(" or ", KnownDataSources.All.Select(s => s.Name))}" };

    private static Command Fetch()
    {
        var name = NameArgument();
        var dir = DirOption();
        var mirror = new Option<string?>("--mirror")
        {
            Description = "Download the archives from this http(s) folder instead of the official addresses (a mirror with the same file names; the unpacked files are checked as usual)",
        };
        var command = new Command("fetch", "Download a data set, verify its checksums and unpack it under the data root") { name, dir, mirror };
        command.SetAction((parse, cancellation) => Task.FromResult(Program.Guard(() =>
        {
            var source = KnownDataSources.Get(parse.GetValue(name)!);
            if (parse.GetValue(mirror) is { } folderUrl)
                source = source.Mirrored(Uri.TryCreate(folderUrl, UriKind.Absolute, out var url) ? url : throw new ArgumentException($"--mirror: '{folderUrl}' is not an http or https address"));
            string root = parse.GetValue(dir) ?? DataRoot.DefaultFolder;
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            var fetcher = new DataFetcher(http);
            string folder = Terminal.Interactive
                ? Terminal.Progress(new ProgressBarColumn(), new DownloadedColumn(), new TransferSpeedColumn()).Start(context =>
                {
                    var tasks = new Dictionary<string, ProgressTask>();
                    fetcher.Progress = (file, done, total) =>
                    {
                        if (!tasks.TryGetValue(file, out var task))
                            tasks[file] = task = context.AddTask(Markup.Escape(file), maxValue: total ?? double.MaxValue);
                        task.Value = done;
                    };
                    return fetcher.FetchAsync(source, root, cancellation).GetAwaiter().GetResult();
                })
                : Quiet(fetcher, source, root, cancellation);
            foreach (var c in DataFetcher.Check(source, folder)) Console.WriteLine($"  {c.Name}: {c.Detail}");
            Console.WriteLine($"{source.Name} is in {folder}; use --data {root}");
            Console.WriteLine(source.Licence);
            return 0;
        })));
        return command;
    }

    private static Command Check()
    {
        var dir = DirOption();
        var command = new Command("check", "Verify the data sets found under a data root (sizes and SHA-256)") { dir };
        command.SetAction(parse => Program.Guard(() =>
        {
            string root = parse.GetValue(dir) ?? DataRoot.DefaultFolder;
            if (!Directory.Exists(root)) throw new ArgumentException($"--dir: {root} does not exist ({DataRoot.FetchHint})");
            int found = 0, bad = 0;
            foreach (var source in KnownDataSources.All)
            {
                string folder = Path.Combine(root, source.Folder);
                if (!Directory.Exists(folder)) continue;
                found++;
                Console.WriteLine($"{source.Name} ({folder}):");
                foreach (var c in DataFetcher.Check(source, folder))
                {
                    Console.WriteLine($"  {(c.Ok ? "ok  " : "FAIL")} {c.Name}: {c.Detail}");
                    if (!c.Ok) bad++;
                }
            }
            if (found == 0) throw new ArgumentException($"--dir: {root} holds no known data set folder ({string.Join(", ", KnownDataSources.All.Select(s => s.Folder))}); {DataRoot.FetchHint}");
            Console.WriteLine(bad == 0 ? "all files verified" : string.Create(CultureInfo.InvariantCulture, $"{bad} file(s) missing or wrong"));
            return bad == 0 ? 0 : 1;
        }));
        return command;
    }

    private static string Quiet(DataFetcher fetcher, DataSource source, string root, CancellationToken cancellation)
    {
        string? last = null;
        fetcher.Progress = (file, _, _) =>
        {
            if (file == last) return;
            last = file;
            Console.WriteLine($"downloading {file}");
        };
        return fetcher.FetchAsync(source, root, cancellation).GetAwaiter().GetResult();
    }
}
