namespace NanoFed.Nets.Data.Sources;

/// <summary>
/// The data sets NanoFed can fetch, with the checksums every download and every unpacked file is verified against.
/// Each download is checked against the MD5 its publisher gives (the CIFAR-10 page; Fashion-MNIST's repository, as
/// torchvision does) before anything is unpacked; each unpacked file against a SHA-256 of its content measured on a
/// copy of the official files. test_batch.bin has no such hash here (the copy it was measured on holds only its first
/// 1,017 records): it is covered by the archive's MD5 and checked by size, and its first 1,017 records, cut into
/// test_batch_head1017.bin (NanoFed's primary test figure), are checked by SHA-256. Fashion-MNIST's hashes are of the
/// decompressed IDX content (gzip output differs between packagers, the content does not), so Debian's
/// dataset-fashion-mnist copy passes <see cref="DataFetcher.Check"/> too.
/// </summary>
public static class KnownDataSources
{
    /// <summary>CIFAR-10, binary version (Krizhevsky, 2009).</summary>
    public static DataSource Cifar10 { get; } = new(
        "cifar10", Data.Cifar10.FolderName,
        [new(new Uri("https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"), "cifar-10-binary.tar.gz", ArchiveKind.TarGz,
            "c32a1d4ab5d03f1284b67883e8d87530")],
        [
            new("data_batch_1.bin", 30_730_000, "cee916563c9f80d84e3cc88e17fdc0941787f1244f00a67874d45b261883ada5"),
            new("data_batch_2.bin", 30_730_000, "a591ca11fa1708a91ee40f54b3da4784ccd871ecf2137de63f51ada8b3fa57ed"),
            new("data_batch_3.bin", 30_730_000, "bbe8596564c0f86427f876058170b84dac6670ddf06d79402899d93ceea26f67"),
            new("data_batch_4.bin", 30_730_000, "014e562d6e23c72197cc727519169a60359f5eccd8945ad5a09d710285ff4e48"),
            new("data_batch_5.bin", 30_730_000, "755304fc0b379caeae8c14f0dac912fbc7d6cd469eb67a1029a08a39453a9add"),
            new("batches.meta.txt", 61, "558e74b5e208382e186da55784b4bac2cd52e558448e1b5800990fdb28ed8033"),
            new(Data.Cifar10.TestFile, 30_730_000, null),
            new(Head1017, 1017L * Data.Cifar10.RecordBytes, "c77ad46116beb3508f55d38aa34893560beae9515f9aca4a4dd0ea3617ac289e"),
        ],
        "CIFAR-10 by Alex Krizhevsky, Vinod Nair and Geoffrey Hinton (https://www.cs.toronto.edu/~kriz/cifar.html); cite Krizhevsky (2009), Learning Multiple Layers of Features from Tiny Images");

    /// <summary>Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017), the four IDX files, kept gzip-compressed.</summary>
    public static DataSource FashionMnist { get; } = new(
        "fashion-mnist", Data.FashionMnist.FolderName,
        [
            Gz("train-images-idx3-ubyte", "8d4fb7e6c68d591d4c3dfef9ec88bf0d"),
            Gz("train-labels-idx1-ubyte", "25c81989df183df01b3e8a0aad5dffbe"),
            Gz("t10k-images-idx3-ubyte", "bef4ecab320f06d8554ea6380940ec79"),
            Gz("t10k-labels-idx1-ubyte", "bb300cfdad3c16e7a12a480ee83cd310"),
        ],
        [
            new("train-images-idx3-ubyte", 47_040_016, "c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888"),
            new("train-labels-idx1-ubyte", 60_008, "bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9"),
            new("t10k-images-idx3-ubyte", 7_840_016, "5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b"),
            new("t10k-labels-idx1-ubyte", 10_008, "0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34"),
        ],
        "Fashion-MNIST by Zalando Research, MIT licence (https://github.com/zalandoresearch/fashion-mnist); cite Xiao et al. (2017), arXiv 1708.07747");

    /// <summary>The first 1,017 records of test_batch.bin, cut by the fetch.</summary>
    public const string Head1017 = "test_batch_head1017.bin";

    /// <summary>Every known source, by CLI name.</summary>
    public static IReadOnlyList<DataSource> All { get; } = [Cifar10, FashionMnist];

    /// <summary>The source named <paramref name="name"/>; an <see cref="ArgumentException"/> listing the names otherwise.</summary>
    public static DataSource Get(string name) =>
        All.FirstOrDefault(s => s.Name == name)
        ?? throw new ArgumentException($"unknown data set '{name}' (known: {string.Join(", ", All.Select(s => s.Name))})", nameof(name));

    private static Download Gz(string name, string md5) =>
        new(new Uri($"https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/{name}.gz"), name + ".gz", ArchiveKind.Gzip, md5);
}
