using System.Xml.Linq;
using NanoFed.Cli.Plots;
using Xunit;

namespace NanoFed.Tests.Cli.Plots;

/// <summary>The plots read as a paper's would: ticks in the quantity's own units, text that renders anywhere, no BOM.</summary>
public class SvgChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void EpochAndRoundAxesHaveIntegerTicksOnly()
    {
        var labels = AxisTicks.For(new Axis("epoch", AxisUnit.Count), 0.75, 3.25).Select(t => t.Label).ToList();
        Assert.Equal(["1", "2", "3"], labels);
        Assert.All(AxisTicks.For(new Axis("round", AxisUnit.Count), 0, 500).Select(t => t.Value), v => Assert.Equal(Math.Round(v), v));
    }

    [Theory]
    [InlineData(0, 3.2e9, " GB")]
    [InlineData(0, 4.5e7, " MB")]
    [InlineData(0, 900, " B")]
    public void ByteAxesSpeakInUnits(double lo, double hi, string unit) =>
        Assert.All(AxisTicks.For(new Axis("bytes", AxisUnit.Bytes), lo, hi).Skip(1), t => Assert.EndsWith(unit, t.Label));

    [Theory]
    [InlineData(50, " s")]
    [InlineData(3000, " min")]
    [InlineData(40_000, " h")]
    public void TimeAxesSpeakInSecondsMinutesOrHours(double hi, string unit) =>
        Assert.All(AxisTicks.For(new Axis("time", AxisUnit.Seconds), 0, hi).Skip(1), t => Assert.EndsWith(unit, t.Label));

    [Fact]
    public void ALogAxisSpanningLessThanADecadeStillHasTicks()
    {
        var ticks = AxisTicks.For(new Axis("bytes", AxisUnit.Bytes, Log: true), 8e6, 6e7);
        Assert.Equal(["10 MB", "20 MB", "50 MB"], ticks.Select(t => t.Label));
    }

    [Fact]
    public void NoLabelReadsMinusZero() =>
        Assert.DoesNotContain("-0", AxisTicks.For(new Axis("loss"), -1e-17, 2.3).Select(t => t.Label));

    /// <summary>A ring series draws one hollow circle per point and one in its legend entry, and no line.</summary>
    [Fact]
    public void RingSeriesAreHollowCirclesWithoutALine()
    {
        var chart = new SvgChart("t", "s", new Axis("epoch", AxisUnit.Count), new Axis("accuracy (%)", Min: 0, Max: 100));
        chart.Series.Add(new Series("after consensus", [(2, 40), (3, 45)], 0, Rings: true));
        string path = Path.Combine(Path.GetTempPath(), $"nanofed-chart-{Guid.NewGuid():N}.svg");
        try
        {
            chart.Write(path);
            var doc = XDocument.Parse(File.ReadAllText(path));
            var circles = doc.Descendants(Svg + "circle").ToList();
            Assert.Equal(3, circles.Count);
            Assert.All(circles, c => Assert.Equal("none", c.Attribute("fill")!.Value));
            Assert.DoesNotContain(doc.Descendants(Svg + "path"), p => p.Attribute("stroke")?.Value == "#0072B2");
            Assert.DoesNotContain(doc.Descendants(Svg + "line"), l => l.Attribute("stroke")?.Value == "#0072B2");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void TheDocumentIsWellFormedWithAGenericFontEveryEntryInTheLegendAndNoBom()
    {
        var chart = new SvgChart("title <&>", "cifar10, resnet20, IID split", new Axis("epoch", AxisUnit.Count), new Axis("accuracy (%)", Min: 0, Max: 100));
        for (int i = 0; i < 9; i++)
            chart.Series.Add(new Series($"a rather long series name number {i}", [(1, 10 * i), (2, double.NaN), (3, 10 * i + 5)], i, Dashed: i % 2 == 1));
        string path = Path.Combine(Path.GetTempPath(), $"nanofed-chart-{Guid.NewGuid():N}.svg");
        try
        {
            chart.Write(path);
            byte[] bytes = File.ReadAllBytes(path);
            Assert.Equal((byte)'<', bytes[0]);
            var doc = XDocument.Parse(File.ReadAllText(path));
            Assert.EndsWith("sans-serif", doc.Root!.Attribute("font-family")!.Value);
            var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
            Assert.Contains("title <&>", texts);
            for (int i = 0; i < 9; i++) Assert.Contains($"a rather long series name number {i}", texts);
            // A NaN breaks the line: each series is two one-point pieces, drawn as markers, and no segment joins them.
            Assert.All(doc.Descendants(Svg + "path"), p => Assert.DoesNotContain("L", p.Attribute("d")!.Value));
            Assert.Equal(18, doc.Descendants(Svg + "circle").Count());
            // The legend grows in rows below the plot instead of being cut: the picture is taller than one row needs.
            Assert.True(double.Parse(doc.Root.Attribute("height")!.Value) > 560);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void ALongTitleShrinksToTheChartsWidthAndAShortOneKeepsItsSize()
    {
        string Size(string title)
        {
            var chart = new SvgChart(title, "s", new Axis("epoch", AxisUnit.Count), new Axis("accuracy (%)", Min: 0, Max: 100));
            var doc = XDocument.Parse(chart.Render());
            return doc.Descendants(Svg + "text").First(t => t.Value == title).Attribute("font-size")!.Value;
        }
        string longTitle = "sparse-push, 4-bit quantization, gamma 1: 8 agents on the exponential graph, gossip every 16 iterations";
        Assert.Equal("16", Size("sgp: 8 agents on the exponential graph"));
        int shrunk = int.Parse(Size(longTitle));
        Assert.InRange(shrunk, 8, 15);
        Assert.True(0.62 * shrunk * longTitle.Length <= 760);
    }
}
