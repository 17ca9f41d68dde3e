using NanoFed.Nets.Models;
using NanoFed.Nets.Modules;
using Xunit;

namespace NanoFed.Tests.Models;

/// <summary>
/// Every model against its PyTorch definition (tests/fixtures/gen/gen_models.py): the exact parameter count, and
/// the state_dict's names, shapes and order (so checkpoints move both ways).
/// </summary>
public class ModelCatalogTests
{
    private static readonly Fixture Fx = Fixture.Load("models");

    public static TheoryData<string, long> Counts => new()
    {
        { "resnet20a", 269_722 }, { "resnet20b", 272_474 }, { "resnet32a", 464_154 }, { "resnet44a", 658_586 },
        { "resnet56a", 853_018 }, { "resnet56b", 855_770 }, { "vgg11bn", 9_231_114 }, { "vgg11sparsepush", 9_488_266 },
        { "vgg11ecofed", 34_440_970 }, { "smallcnn", 225_034 }, { "smallcnn_pad1", 421_642 },
        { "resnet20a_group2", 269_722 }, { "resnet20b_group2", 272_474 }, { "resnet20b_group16", 272_474 },
        { "resnet20a_evonorm8", 270_410 }, { "resnet20b_evonorm8", 273_258 }, { "vgg11sparsepush_group2", 9_493_770 },
        { "vgg11sparsepush_evonorm8", 9_496_522 }, { "vgg11bn_evonorm8", 9_233_866 },
    };

    internal static Sequential Build(string name, ulong seed = 1)
    {
        var rng = new RngStream(seed, 0);
        return name switch
        {
            "resnet20a" => ResNetCifar.ResNet20(ResNetShortcut.A, rng),
            "resnet20b" => ResNetCifar.ResNet20(ResNetShortcut.B, rng),
            "resnet32a" => ResNetCifar.ResNet32(ResNetShortcut.A, rng),
            "resnet44a" => ResNetCifar.ResNet44(ResNetShortcut.A, rng),
            "resnet56a" => ResNetCifar.ResNet56(ResNetShortcut.A, rng),
            "resnet56b" => ResNetCifar.ResNet56(ResNetShortcut.B, rng),
            "vgg11bn" => Vgg11.Create(Vgg11Variant.BatchNorm, rng),
            "vgg11sparsepush" => Vgg11.Create(Vgg11Variant.SparsePush, rng),
            "vgg11ecofed" => Vgg11.Create(Vgg11Variant.EcoFed, rng),
            "smallcnn" => SmallCnn.Create(rng),
            "smallcnn_pad1" => SmallCnn.Create(rng, padding: 1),
            "resnet20a_group2" => ResNetCifar.ResNet20(ResNetShortcut.A, rng, norm: NormSpec.Parse("group")),
            "resnet20b_group2" => ResNetCifar.ResNet20(ResNetShortcut.B, rng, norm: NormSpec.Parse("group")),
            "resnet20b_group16" => ResNetCifar.ResNet20(ResNetShortcut.B, rng, norm: NormSpec.Parse("group:16")),
            "resnet20a_evonorm8" => ResNetCifar.ResNet20(ResNetShortcut.A, rng, norm: NormSpec.Parse("evonorm")),
            "resnet20b_evonorm8" => ResNetCifar.ResNet20(ResNetShortcut.B, rng, norm: NormSpec.Parse("evonorm")),
            "vgg11sparsepush_group2" => Vgg11.Create(Vgg11Variant.SparsePush, rng, norm: NormSpec.Parse("group")),
            "vgg11sparsepush_evonorm8" => Vgg11.Create(Vgg11Variant.SparsePush, rng, norm: NormSpec.Parse("evonorm")),
            "vgg11bn_evonorm8" => Vgg11.Create(Vgg11Variant.BatchNorm, rng, norm: NormSpec.Parse("evonorm")),
            _ => throw new ArgumentException(name),
        };
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void ParameterCountIsExact(string name, long count)
    {
        var model = Build(name);
        Assert.Equal(count, model.ParameterCount());
        Assert.Equal(Fx.Meta(name, "params"), count.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [MemberData(nameof(Counts))]
    public void StateDictMatchesPyTorch(string name, long count)
    {
        _ = count;
        var expected = Fx.Meta(name, "keys").Split(',');
        var actual = Build(name).StateDict()
            .Select(e => e.Name + ":" + string.Join("x", e.Value.Shape.ToArray()))
            .ToArray();
        Assert.Equal(expected, actual);
    }
}
