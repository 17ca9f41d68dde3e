using System.Globalization;
using System.Net;
using System.Text;
using NanoFed.Nets.Checkpoints;

namespace NanoFed.Cli.Plots;

/// <summary>A line: its legend name, points, the axis it is read against, and its look.</summary>
/// <param name="Name">The legend entry.</param>
/// <param name="Points">(x, y) pairs; a non-finite y breaks the line.</param>
/// <param name="Colour">Index into the palette (series of one data set share a colour).</param>
/// <param name="Dashed">Dashed instead of solid.</param>
/// <param name="RightAxis">Read against the right axis.</param>
/// <param name="Rings">Its points as rings and no line (a few points that sit on another series' line).</param>
internal sealed record Series(string Name, IReadOnlyList<(double X, double Y)> Points, int Colour, bool Dashed = false, bool RightAxis = false, bool Rings = false);

/// <summary>
/// A line chart written as a self-contained SVG: the title and a subtitle (data set, model, split), a bottom axis, a
/// left and an optional right axis with ticks that read as the quantity does (integer epochs and rounds, bytes in MB or
/// GB, time in s, min or h), the data padded away from the frame, and the legend in rows below the plot so no entry is
/// cut. Text is in a font family every system has (a generic sans-serif at the end of the list); the file is UTF-8
/// without a byte-order mark and written atomically.
/// </summary>
internal sealed class SvgChart(string title, string subtitle, Axis x, Axis left, Axis? right = null)
{
    private const int Width = 800, PlotHeight = 400, Top = 64, LeftMargin = 78, FontSize = 13;
    private const string Font = "DejaVu Sans, Liberation Sans, Helvetica, Arial, sans-serif";

    private const int RingRadius = 6;

    /// <summary>Colour-blind-safe colours (Okabe and Ito), then two greys.</summary>
    private static readonly string[] Palette = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#999999"];

    /// <summary>The lines, in legend order.</summary>
    public List<Series> Series { get; } = [];

    /// <summary>Writes the chart to <paramref name="path"/> (a temporary file, then a rename).</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, Render());

    /// <summary>The SVG document.</summary>
    public string Render()
    {
        int rightMargin = right is null ? 28 : 78;
        var legend = LegendRows(Width - 40);
        int height = Top + PlotHeight + 56 + 20 * legend.Count + 10;
        var frame = new Frame(LeftMargin, Top, Width - LeftMargin - rightMargin, PlotHeight);
        var sx = Range(x, Series.SelectMany(s => s.Points.Select(p => p.X)));
        var sl = Range(left, Series.Where(s => !s.RightAxis).SelectMany(s => s.Points.Select(p => p.Y)));
        var sr = right is null ? default : Range(right, Series.Where(s => s.RightAxis).SelectMany(s => s.Points.Select(p => p.Y)));
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"{Font}\" font-size=\"{FontSize}\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"white\"/>\n");
        Text(svg, Width / 2.0, 24, title, "middle", size: Fitting(title, 16, 0.62), bold: true);
        Text(svg, Width / 2.0, 44, subtitle, "middle", size: Fitting(subtitle, FontSize, 0.6), colour: "#444");
        BottomAxis(svg, frame, x, sx);
        SideAxis(svg, frame, left, sl, leftSide: true);
        if (right is not null) SideAxis(svg, frame, right, sr, leftSide: false);
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"{frame.X}\" y=\"{frame.Y}\" width=\"{frame.W}\" height=\"{frame.H}\" fill=\"none\" stroke=\"#333\"/>\n");
        foreach (var s in Series) Line(svg, frame, s, sx, s.RightAxis ? sr : sl, s.RightAxis ? right! : left);
        Legend(svg, legend, frame.Y + frame.H + 56);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    private readonly record struct Frame(double X, double Y, double W, double H);

    private readonly record struct Scale(double Lo, double Hi, bool Log)
    {
        public double Map(double v, double from, double length) =>
            Log ? from + (Math.Log10(v) - Math.Log10(Lo)) / (Math.Log10(Hi) - Math.Log10(Lo)) * length
                : from + (v - Lo) / (Hi - Lo) * length;
    }

    /// <summary>The shown range of an axis: its fixed ends, else the data's padded by 4% (a decade fraction on a log axis).</summary>
    private static Scale Range(Axis axis, IEnumerable<double> values)
    {
        var finite = values.Where(v => double.IsFinite(v) && (!axis.Log || v > 0)).ToList();
        double lo = finite.Count > 0 ? finite.Min() : axis.Log ? 1 : 0, hi = finite.Count > 0 ? finite.Max() : axis.Log ? 10 : 1;
        if (axis.Log)
        {
            double l = Math.Log10(lo), h = Math.Log10(hi), pad = Math.Max(0.1, 0.04 * (h - l));
            return new Scale(axis.Min ?? Math.Pow(10, l - pad), axis.Max ?? Math.Pow(10, h + pad), true);
        }
        if (hi - lo < 1e-12) (lo, hi) = (lo - 0.5, hi + 0.5);
        double margin = Math.Max(0.04 * (hi - lo), axis.Unit == AxisUnit.Count ? 0.25 : 0);
        return new Scale(axis.Min ?? lo - margin, axis.Max ?? hi + margin, false);
    }

    private static void BottomAxis(StringBuilder svg, Frame f, Axis axis, Scale s)
    {
        foreach (var (v, label) in AxisTicks.For(axis, s.Lo, s.Hi, 9))
        {
            double px = s.Map(v, f.X, f.W);
            svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{px:F1}\" y1=\"{f.Y}\" x2=\"{px:F1}\" y2=\"{f.Y + f.H}\" stroke=\"#ddd\"/>\n");
            Text(svg, px, f.Y + f.H + 18, label, "middle");
        }
        Text(svg, f.X + f.W / 2, f.Y + f.H + 40, axis.Title, "middle");
    }

    private static void SideAxis(StringBuilder svg, Frame f, Axis axis, Scale s, bool leftSide)
    {
        foreach (var (v, label) in AxisTicks.For(axis, s.Lo, s.Hi))
        {
            double py = f.Y + f.H - s.Map(v, 0, f.H);
            if (leftSide) svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{f.X}\" y1=\"{py:F1}\" x2=\"{f.X + f.W}\" y2=\"{py:F1}\" stroke=\"#ddd\"/>\n");
            Text(svg, leftSide ? f.X - 6 : f.X + f.W + 6, py + 4, label, leftSide ? "end" : "start");
        }
        double ax = leftSide ? 16 : Width - 12, ay = f.Y + f.H / 2;
        svg.Append(CultureInfo.InvariantCulture, $"<text x=\"{ax:F1}\" y=\"{ay:F1}\" text-anchor=\"middle\" transform=\"rotate(-90 {ax:F1} {ay:F1})\">{WebUtility.HtmlEncode(axis.Title)}</text>\n");
    }

    private static void Line(StringBuilder svg, Frame f, Series s, Scale sx, Scale sy, Axis y)
    {
        string colour = Palette[s.Colour % Palette.Length];
        var path = new StringBuilder();
        bool open = false;
        foreach (var (px, py) in s.Points)
        {
            if (!double.IsFinite(px) || !double.IsFinite(py) || (y.Log && py <= 0) || px < sx.Lo || px > sx.Hi || py < sy.Lo || py > sy.Hi)
            {
                open = false;
                continue;
            }
            double cx = sx.Map(px, f.X, f.W), cy = f.Y + f.H - sy.Map(py, 0, f.H);
            if (s.Rings)
            {
                svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{cx:F1}\" cy=\"{cy:F1}\" r=\"{RingRadius}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>\n");
                continue;
            }
            path.Append(CultureInfo.InvariantCulture, $"{(open ? 'L' : 'M')}{cx:F1},{cy:F1} ");
            svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{cx:F1}\" cy=\"{cy:F1}\" r=\"2.5\" fill=\"{colour}\"/>\n");
            open = true;
        }
        if (path.Length > 0)
            svg.Append(CultureInfo.InvariantCulture, $"<path d=\"{path.ToString().TrimEnd()}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.8\"{(s.Dashed ? " stroke-dasharray=\"6 4\"" : "")}/>\n");
    }

    /// <summary>Legend entries packed into rows no wider than <paramref name="width"/>, by an estimate of the text's width.</summary>
    private List<List<Series>> LegendRows(double width)
    {
        var rows = new List<List<Series>> { new() };
        double used = 0;
        foreach (var s in Series)
        {
            double w = EntryWidth(s);
            if (used + w > width && rows[^1].Count > 0)
            {
                rows.Add([]);
                used = 0;
            }
            rows[^1].Add(s);
            used += w;
        }
        return rows;
    }

    // A sans-serif glyph averages about 0.6 em; the swatch and gap take 44 px.
    /// <summary>
    /// The font size up to <paramref name="size"/> at which <paramref name="text"/> fits the chart's width (20 px
    /// margins), at <paramref name="em"/> ems per character on average: a long title shrinks rather than being cut off.
    /// </summary>
    internal static int Fitting(string text, int size, double em) => Math.Max(8, Math.Min(size, (int)((Width - 40) / (em * Math.Max(1, text.Length)))));

    private static double EntryWidth(Series s) => 44 + 0.6 * FontSize * s.Name.Length + 18;

    private static void Legend(StringBuilder svg, List<List<Series>> rows, double top)
    {
        for (int r = 0; r < rows.Count; r++)
        {
            double total = rows[r].Sum(EntryWidth), px = (Width - total) / 2, py = top + 20 * r;
            foreach (var s in rows[r])
            {
                string colour = Palette[s.Colour % Palette.Length];
                if (s.Rings)
                    svg.Append(CultureInfo.InvariantCulture, $"<circle cx=\"{px + 16:F1}\" cy=\"{py - 4:F1}\" r=\"{RingRadius}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"/>\n");
                else
                    svg.Append(CultureInfo.InvariantCulture, $"<line x1=\"{px:F1}\" y1=\"{py - 4:F1}\" x2=\"{px + 32:F1}\" y2=\"{py - 4:F1}\" stroke=\"{colour}\" stroke-width=\"1.8\"{(s.Dashed ? " stroke-dasharray=\"6 4\"" : "")}/>\n");
                Text(svg, px + 40, py, s.Name, "start");
                px += EntryWidth(s);
            }
        }
    }

    private static void Text(StringBuilder svg, double px, double py, string text, string anchor, int size = FontSize, bool bold = false, string colour = "#000") =>
        svg.Append(CultureInfo.InvariantCulture,
            $"<text x=\"{px:F1}\" y=\"{py:F1}\" text-anchor=\"{anchor}\"{(size != FontSize ? $" font-size=\"{size}\"" : "")}{(bold ? " font-weight=\"bold\"" : "")} fill=\"{colour}\">{WebUtility.HtmlEncode(text)}</text>\n");
}
