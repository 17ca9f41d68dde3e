using NanoFed.Federation.Fl;
using NanoFed.Nets;
using NanoFed.Nets.Checkpoints;
using NanoFed.Nets.Models;
using NanoFed.Nets.Optim;
using NanoFed.Nets.Training;
using Xunit;

namespace NanoFed.Tests;

public sealed class PretrainedFrontTests : IDisposable
{
    private readonly DirectoryInfo _dir = Directory.CreateTempSubdirectory("nanofed-front-");

    public void Dispose() => _dir.Delete(recursive: true);

    private string File(string name) => Path.Combine(_dir.FullName, name);

    private static EcoFed Create(PretrainedFront front) =>
        new(() => SmallCnn.Create(new RngStream(1, 9)), 3, [1, 28, 28], front);

    /// <summary>A whole-model checkpoint as <c>nanofed train</c> writes it (model, optimizer and trainer entries).</summary>
    [Fact]
    public void WholeModelCheckpointLandsInTheFrontExactly()
    {
        var donor = SmallCnn.Create(new RngStream(77, 1));
        var config = new TrainingConfig { Model = "smallcnn", Dataset = "fashion-mnist", Seed = 77 };
        TrainingCheckpoint.Write(File("c.safetensors"), config, donor, new Sgd(donor.Parameters(), 0.1, 0.9), 1, 0, 10, (0, 0, 0), []);
        var front = PretrainedFront.Load(File("c.safetensors"));
        var method = Create(front);
        var expected = donor.StateDict().Take(2).ToList();
        var actual = method.DevicePart.StateDict();
        Assert.Equal(expected.Select(t => t.Name), actual.Select(t => t.Name));
        for (int t = 0; t < actual.Count; t++) Assert.Equal(expected[t].Value.ToArray(), actual[t].Value.ToArray());
        Assert.NotEqual(donor.StateDict()[2].Value.ToArray(), method.ServerPart.StateDict()[0].Value.ToArray());
        Assert.StartsWith(File("c.safetensors") + " (sha256 ", front.Description);
        Assert.Matches("[0-9a-f]{64}\\)$", front.Description);
    }

    [Fact]
    public void FrontOnlyFileLoads()
    {
        var donor = SmallCnn.Create(new RngStream(78, 1)).Split(3).Front;
        SafeTensors.Write(File("f.safetensors"), donor.StateDict());
        var method = Create(PretrainedFront.Load(File("f.safetensors")));
        Assert.Equal(donor.StateDict()[0].Value.ToArray(), method.DevicePart.StateDict()[0].Value.ToArray());
    }

    [Fact]
    public void MissingOrMisshapedTensorIsAOneLineErrorNamingFileAndTensor()
    {
        var state = SmallCnn.Create(new RngStream(79, 1)).StateDict();
        SafeTensors.Write(File("missing.safetensors"), state.Where(t => t.Name != "conv1.bias"));
        var e = Assert.Throws<DataFormatException>(() => Create(PretrainedFront.Load(File("missing.safetensors"))));
        Assert.Contains(File("missing.safetensors"), e.Message);
        Assert.Contains("'conv1.bias'", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        SafeTensors.Write(File("shape.safetensors"), state.Select(t => t.Name == "conv1.weight" ? (t.Name, Tensor.Zeros(new Shape(32, 1, 5, 5))) : t));
        e = Assert.Throws<DataFormatException>(() => Create(PretrainedFront.Load(File("shape.safetensors"))));
        Assert.Contains(File("shape.safetensors"), e.Message);
        Assert.Contains("'conv1.weight'", e.Message);
        Assert.DoesNotContain('\n', e.Message);

        Assert.Throws<DataFormatException>(() => PretrainedFront.Load(File("absent.safetensors")));
    }

    [Fact]
    public void APoisonedFrontIsRefusedNamingFileAndTensor()
    {
        var state = SmallCnn.Create(new RngStream(80, 1)).StateDict();
        var nan = Tensor.Zeros(state[0].Value.Shape);
        nan.Span.Fill(float.NaN);
        SafeTensors.Write(File("nan.safetensors"), state.Select(t => t.Name == "conv1.weight" ? (t.Name, nan) : t));
        var e = Assert.Throws<DataFormatException>(() => Create(PretrainedFront.Load(File("nan.safetensors"))));
        Assert.Contains(File("nan.safetensors"), e.Message);
        Assert.Contains("conv1.weight holds 288 non-finite value(s) of 288", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void NoneKeepsTheRandomInitialisationAndSaysSo()
    {
        var method = Create(PretrainedFront.None);
        var fresh = SmallCnn.Create(new RngStream(1, 9));
        Assert.Equal(fresh.StateDict()[0].Value.ToArray(), method.DevicePart.StateDict()[0].Value.ToArray());
        Assert.Equal("none: random initialisation", method.Front.Description);
        Assert.Null(PretrainedFront.None.Path);
    }
}
