//! Charts drawn on the server as inline SVG: pure functions from figures to
//! markup, so the dashboard needs no script and no image requests.
//!
//! Every chart is an `<svg role="img">` with a `<title>` and a `<desc>`,
//! scales to its container through its `viewBox`, and takes its colours
//! from the stylesheet by class (the Content Security Policy forbids inline
//! styles; presentation attributes are markup). Colour never carries
//! meaning alone: each series of a line chart has its own marker and dash,
//! each layer of a stacked bar its own hatching, and the legend shows both.
//! All text that reaches the markup is escaped here, because these
//! functions return markup the template inserts as it is.

use std::fmt::Write;

/// The drawing's coordinate system: the `viewBox` of line and bar charts.
const WIDTH: f64 = 640.0;
const HEIGHT: f64 = 280.0;

/// The plot area inside it: room for the legend above, the value axis to
/// the left and the category labels below.
const LEFT: f64 = 48.0;
const RIGHT: f64 = 604.0;
pub(super) const TOP: f64 = 44.0;
pub(super) const BOTTOM: f64 = 236.0;

/// Past this many points a line has no markers: they would touch.
const MAX_MARKERS: usize = 60;

/// How many category labels fit under the axis.
const MAX_LABELS: usize = 7;

/// One line of a line chart or one layer of stacked bars.
pub(super) struct Series {
    pub name: String,
    /// The stylesheet class that gives its colour (`s-open`, `sev-high`).
    pub class: &'static str,
    pub values: Vec<f64>,
}

impl Series {
    pub fn new(name: impl Into<String>, class: &'static str, values: Vec<f64>) -> Series {
        Series { name: name.into(), class, values }
    }
}

/// What a chart says about itself, for screen readers and tooltips.
pub(super) struct Caption<'a> {
    /// Unique on the page: the prefix of the chart's element ids.
    pub id: &'a str,
    pub title: &'a str,
    pub desc: &'a str,
}

/// A line for each series over the same categories (days, weeks), on a
/// value axis from 0 with labelled ticks.
pub(super) fn line_chart(caption: &Caption, labels: &[String], series: &[Series]) -> String {
    let mut svg = open(caption, WIDTH, HEIGHT);
    if labels.is_empty() || series.iter().all(|s| s.values.is_empty()) {
        return no_data(svg, "No data in this window.");
    }
    let scale = Scale::up_to(series.iter().flat_map(|s| s.values.iter().copied()));
    legend(&mut svg, caption.id, series, Swatch::Marker);
    scale.axis(&mut svg);
    category_labels(&mut svg, labels, |i| point_x(i, labels.len()));

    for (index, line) in series.iter().enumerate() {
        let points: Vec<(f64, f64)> = line
            .values
            .iter()
            .take(labels.len())
            .enumerate()
            .map(|(i, v)| (point_x(i, labels.len()), scale.y(*v)))
            .collect();
        let path: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, (x, y))| format!("{}{} {}", if i == 0 { "M" } else { "L" }, num(*x), num(*y)))
            .collect();
        let class = line.class;
        let _ = write!(
            svg,
            "<path class=\"line dash{} {class}\" fill=\"none\" d=\"{}\"><title>{}</title></path>",
            index % 3,
            path.join(" "),
            escape(&line.name)
        );
        if points.len() <= MAX_MARKERS {
            for ((x, y), (value, label)) in points.iter().zip(line.values.iter().zip(labels)) {
                let tip = format!("{} {}: {}", line.name, label, num(*value));
                marker(&mut svg, index, class, (*x, *y), Some(&tip));
            }
        }
    }
    close(svg)
}

/// A bar for each category, its layers stacked from the axis up, each
/// layer's value written inside when there is room, the total on top.
pub(super) fn stacked_bars(caption: &Caption, categories: &[String], layers: &[Series]) -> String {
    let mut svg = open(caption, WIDTH, HEIGHT);
    let totals: Vec<f64> = (0..categories.len())
        .map(|i| layers.iter().filter_map(|l| l.values.get(i)).sum())
        .collect();
    if categories.is_empty() || totals.iter().all(|t| *t <= 0.0) {
        return no_data(svg, "Nothing to show: no open tickets.");
    }
    let scale = Scale::up_to(totals.iter().copied());
    patterns(&mut svg, caption.id, layers.len());
    legend(&mut svg, caption.id, layers, Swatch::Hatch);
    scale.axis(&mut svg);
    let band = (RIGHT - LEFT) / categories.len() as f64;
    let centre = |i: usize| LEFT + band * (i as f64 + 0.5);
    category_labels(&mut svg, categories, centre);

    let width = band * 0.6;
    for (i, (category, total)) in categories.iter().zip(&totals).enumerate() {
        let x = centre(i) - width / 2.0;
        let mut base = BOTTOM;
        for (index, layer) in layers.iter().enumerate() {
            let value = layer.values.get(i).copied().unwrap_or(0.0);
            if value <= 0.0 {
                continue;
            }
            let top = scale.y(scale.value_below(base) + value);
            let tip = format!("{} {}: {}", layer.name, category, num(value));
            let rect = Rect { x, y: top, width, height: base - top };
            segment(&mut svg, caption.id, index, layer.class, &rect, &tip);
            if rect.height >= 14.0 {
                let _ = write!(
                    svg,
                    "<text class=\"seg-label\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                    num(centre(i)),
                    num(top + rect.height / 2.0 + 4.0),
                    num(value)
                );
            }
            base = top;
        }
        let _ = write!(
            svg,
            "<text class=\"total\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            num(centre(i)),
            num(base - 5.0),
            num(*total)
        );
    }
    close(svg)
}

/// A semicircle filled from the left in proportion to `fraction` (0 to 1),
/// the percentage in its middle and `note` under it; without a fraction, a
/// message that there is nothing to measure.
pub(super) fn gauge(caption: &Caption, fraction: Option<f64>, note: &str) -> String {
    let mut svg = open(caption, GAUGE_WIDTH, GAUGE_HEIGHT);
    let Some(fraction) = fraction else {
        let _ = write!(svg, "<path class=\"gauge-track\" fill=\"none\" d=\"{}\"/>", track());
        let _ = write!(
            svg,
            "<text class=\"empty\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">No data: no</text>\
             <text class=\"empty\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">closings with</text>\
             <text class=\"empty\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">a due date</text>",
            num(GAUGE_CY - 42.0),
            num(GAUGE_CY - 22.0),
            num(GAUGE_CY - 2.0),
            x = num(GAUGE_CX)
        );
        return close(svg);
    };
    let fraction = fraction.clamp(0.0, 1.0);
    let _ = write!(svg, "<path class=\"gauge-track\" fill=\"none\" d=\"{}\"/>", track());
    if fraction > 0.0 {
        let (x, y) = gauge_end(fraction);
        let _ = write!(
            svg,
            "<path class=\"gauge-value\" fill=\"none\" d=\"M{} {} A{r} {r} 0 0 1 {} {}\"/>",
            num(GAUGE_CX - GAUGE_R),
            num(GAUGE_CY),
            num(x),
            num(y),
            r = num(GAUGE_R)
        );
    }
    let ends = [(GAUGE_CX - GAUGE_R, "0 %"), (GAUGE_CX + GAUGE_R, "100 %")];
    for (x, text) in ends {
        let _ = write!(
            svg,
            "<text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{text}</text>",
            num(x),
            num(GAUGE_CY + 18.0)
        );
    }
    let _ = write!(
        svg,
        "<text class=\"gauge-figure\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>\
         <text class=\"gauge-note\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        num(GAUGE_CX),
        num(GAUGE_CY - 12.0),
        percent(fraction),
        num(GAUGE_CX),
        num(GAUGE_CY + 36.0),
        escape(note)
    );
    close(svg)
}

const GAUGE_WIDTH: f64 = 260.0;
const GAUGE_HEIGHT: f64 = 170.0;
const GAUGE_CX: f64 = 130.0;
const GAUGE_CY: f64 = 128.0;
const GAUGE_R: f64 = 100.0;

/// Where the gauge's arc ends for `fraction`: the angle runs from 180°
/// (the left end, 0 %) down to 0° (the right end, 100 %).
pub(super) fn gauge_end(fraction: f64) -> (f64, f64) {
    let angle = std::f64::consts::PI * (1.0 - fraction.clamp(0.0, 1.0));
    (GAUGE_CX + GAUGE_R * angle.cos(), GAUGE_CY - GAUGE_R * angle.sin())
}

/// The whole semicircle.
fn track() -> String {
    format!(
        "M{} {cy} A{r} {r} 0 0 1 {} {cy}",
        num(GAUGE_CX - GAUGE_R),
        num(GAUGE_CX + GAUGE_R),
        cy = num(GAUGE_CY),
        r = num(GAUGE_R)
    )
}

/// `80 %`, `87.5 %`.
pub(super) fn percent(fraction: f64) -> String {
    format!("{} %", num((fraction * 1000.0).round() / 10.0))
}

/// A value axis from 0 to a round number above the largest value.
struct Scale {
    max: f64,
    step: f64,
}

impl Scale {
    /// The smallest step of 1, 2 or 5 times a power of ten (at least 1:
    /// the charts count tickets) that reaches the largest value in at most
    /// five steps.
    fn up_to(values: impl Iterator<Item = f64>) -> Scale {
        let largest = values.fold(0.0_f64, f64::max);
        if largest <= 0.0 {
            return Scale { max: 1.0, step: 1.0 };
        }
        let power = 10_f64.powf((largest / 5.0).log10().floor()).max(1.0);
        let step = [1.0, 2.0, 5.0, 10.0, 20.0]
            .into_iter()
            .map(|m| m * power)
            .find(|step| (largest / step).ceil() <= 5.0)
            .unwrap_or(50.0 * power);
        Scale { max: (largest / step).ceil() * step, step }
    }

    /// The height of `value` in the drawing; values below 0 sit on the axis.
    fn y(&self, value: f64) -> f64 {
        BOTTOM - value.max(0.0) / self.max * (BOTTOM - TOP)
    }

    /// The value at height `y`: where the next layer of a stack starts.
    fn value_below(&self, y: f64) -> f64 {
        (BOTTOM - y) / (BOTTOM - TOP) * self.max
    }

    /// Grid lines and labelled ticks from 0 to the top.
    fn axis(&self, svg: &mut String) {
        let ticks = (self.max / self.step).round() as usize;
        for i in 0..=ticks {
            let value = self.step * i as f64;
            let y = num(self.y(value));
            let _ = write!(
                svg,
                "<line class=\"grid\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>\
                 <text class=\"tick\" x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
                num(LEFT),
                num(RIGHT),
                num(LEFT - 6.0),
                num(self.y(value) + 4.0),
                num(value)
            );
        }
        let _ = write!(
            svg,
            "<line class=\"axis\" x1=\"{l}\" y1=\"{b}\" x2=\"{r}\" y2=\"{b}\"/>",
            l = num(LEFT),
            r = num(RIGHT),
            b = num(BOTTOM)
        );
    }
}

/// The x of point `i` of `n`, spread over the plot's width.
fn point_x(i: usize, n: usize) -> f64 {
    if n <= 1 {
        return (LEFT + RIGHT) / 2.0;
    }
    LEFT + (RIGHT - LEFT) * i as f64 / (n - 1) as f64
}

/// Labels under the axis, every so many when there are more than fit.
fn category_labels(svg: &mut String, labels: &[String], x: impl Fn(usize) -> f64) {
    let every = labels.len().div_ceil(MAX_LABELS).max(1);
    for (i, label) in labels.iter().enumerate().filter(|(i, _)| i.is_multiple_of(every)) {
        let _ = write!(
            svg,
            "<line class=\"axis\" x1=\"{x}\" y1=\"{}\" x2=\"{x}\" y2=\"{}\"/>\
             <text class=\"tick\" x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
            num(BOTTOM),
            num(BOTTOM + 5.0),
            num(BOTTOM + 20.0),
            escape(label),
            x = num(x(i))
        );
    }
}

/// How the legend shows a series.
#[derive(Clone, Copy)]
enum Swatch {
    /// A short line with the series' marker.
    Marker,
    /// A square with the layer's colour and hatching.
    Hatch,
}

/// The legend, in a row above the plot.
fn legend(svg: &mut String, id: &str, series: &[Series], swatch: Swatch) {
    let mut x = LEFT;
    let y = 18.0;
    for (index, item) in series.iter().enumerate() {
        match swatch {
            Swatch::Marker => {
                let _ = write!(
                    svg,
                    "<line class=\"line dash{} {}\" x1=\"{}\" y1=\"{y}\" x2=\"{}\" y2=\"{y}\"/>",
                    index % 3,
                    item.class,
                    num(x),
                    num(x + 24.0)
                );
                marker(svg, index, item.class, (x + 12.0, y), None);
            }
            Swatch::Hatch => {
                let rect = Rect { x, y: y - 8.0, width: 24.0, height: 16.0 };
                segment(svg, id, index, item.class, &rect, &item.name);
            }
        }
        let _ = write!(
            svg,
            "<text class=\"legend\" x=\"{}\" y=\"{}\">{}</text>",
            num(x + 30.0),
            num(y + 4.0),
            escape(&item.name)
        );
        // About 8 units a character at the legend's size, and a gap.
        x += 30.0 + 8.0 * item.name.chars().count() as f64 + 20.0;
    }
}

/// Series `index`'s marker at `(x, y)`: a circle, a square, a triangle or
/// a diamond, in turn.
fn marker(svg: &mut String, index: usize, class: &str, (x, y): (f64, f64), tip: Option<&str>) {
    let tip = tip.map(|t| format!("<title>{}</title>", escape(t))).unwrap_or_default();
    let (x, y) = (num(x), num(y));
    let shape = match index % 4 {
        0 => {
            format!("<circle class=\"marker {class}\" cx=\"{x}\" cy=\"{y}\" r=\"4\">{tip}</circle>")
        }
        1 => format!(
            "<rect class=\"marker {class}\" x=\"{x}\" y=\"{y}\" width=\"8\" height=\"8\" \
             transform=\"translate(-4 -4)\">{tip}</rect>"
        ),
        2 => format!(
            "<path class=\"marker {class}\" d=\"M0 -5 L5 4 L-5 4 Z\" \
             transform=\"translate({x} {y})\">{tip}</path>"
        ),
        _ => format!(
            "<path class=\"marker {class}\" d=\"M0 -5 L5 0 L0 5 L-5 0 Z\" \
             transform=\"translate({x} {y})\">{tip}</path>"
        ),
    };
    svg.push_str(&shape);
}

struct Rect {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
}

/// A filled rectangle of layer `index`, with that layer's hatching over it.
fn segment(svg: &mut String, id: &str, index: usize, class: &str, rect: &Rect, tip: &str) {
    let place = format!(
        "x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\"",
        num(rect.x),
        num(rect.y),
        num(rect.width),
        num(rect.height)
    );
    let _ =
        write!(svg, "<rect class=\"seg {class}\" {place}><title>{}</title></rect>", escape(tip));
    if !index.is_multiple_of(PATTERNS) {
        let _ = write!(
            svg,
            "<rect class=\"hatch\" fill=\"url(#{}-p{})\" {place}/>",
            escape(id),
            index % PATTERNS
        );
    }
}

/// How many hatchings there are; layer 0 (and every fifth) is plain.
const PATTERNS: usize = 5;

/// The hatchings of layers 1 to 4: diagonal lines, a cross-hatch, dots and
/// horizontal lines.
fn patterns(svg: &mut String, id: &str, layers: usize) {
    let id = escape(id);
    svg.push_str("<defs>");
    let shapes = [
        "",
        "<line class=\"hatch-line\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\"/>",
        "<line class=\"hatch-line\" x1=\"0\" y1=\"0\" x2=\"0\" y2=\"6\"/>\
         <line class=\"hatch-line\" x1=\"0\" y1=\"3\" x2=\"6\" y2=\"3\"/>",
        "<circle class=\"hatch-dot\" cx=\"3\" cy=\"3\" r=\"1.2\"/>",
        "<line class=\"hatch-line\" x1=\"0\" y1=\"3\" x2=\"6\" y2=\"3\"/>",
    ];
    for (index, shape) in shapes.iter().enumerate().skip(1).take(layers.saturating_sub(1)) {
        let turn = if index <= 2 { " patternTransform=\"rotate(45)\"" } else { "" };
        let _ = write!(
            svg,
            "<pattern id=\"{id}-p{index}\" width=\"6\" height=\"6\" \
             patternUnits=\"userSpaceOnUse\"{turn}>{shape}</pattern>"
        );
    }
    svg.push_str("</defs>");
}

/// The `<svg>` element, its title and its description.
fn open(caption: &Caption, width: f64, height: f64) -> String {
    let id = escape(caption.id);
    format!(
        "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" \
         role=\"img\" aria-labelledby=\"{id}-title {id}-desc\">\
         <title id=\"{id}-title\">{}</title><desc id=\"{id}-desc\">{}</desc>",
        num(width),
        num(height),
        escape(caption.title),
        escape(caption.desc)
    )
}

fn no_data(mut svg: String, message: &str) -> String {
    let _ = write!(
        svg,
        "<text class=\"empty\" x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
        num(WIDTH / 2.0),
        num(HEIGHT / 2.0),
        escape(message)
    );
    close(svg)
}

fn close(mut svg: String) -> String {
    svg.push_str("</svg>");
    svg
}

/// A coordinate or value with at most one decimal: `12`, `12.5`.
fn num(value: f64) -> String {
    let rounded = (value * 10.0).round() / 10.0;
    if rounded.fract() == 0.0 { format!("{rounded:.0}") } else { format!("{rounded:.1}") }
}

/// Text made safe for an element's content or a quoted attribute.
pub(super) fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const CAPTION: Caption = Caption { id: "c", title: "Open backlog", desc: "Per day." };

    fn labels(n: usize) -> Vec<String> {
        (1..=n).map(|i| format!("12-{i:02}")).collect()
    }

    /// The points of the `nth` line's path.
    fn line_points(svg: &str, nth: usize) -> Vec<(f64, f64)> {
        let path = svg.split("<path class=\"line").nth(nth + 1).expect("a line");
        let d = path.split(" d=\"").nth(1).unwrap().split('"').next().unwrap();
        d.split(['M', 'L'])
            .filter(|p| !p.trim().is_empty())
            .map(|p| {
                let mut xy = p.split_whitespace().map(|v| v.parse::<f64>().unwrap());
                (xy.next().unwrap(), xy.next().unwrap())
            })
            .collect()
    }

    #[test]
    fn the_highest_point_is_at_the_top_and_zero_on_the_axis() {
        let svg = line_chart(
            &CAPTION,
            &labels(4),
            &[Series::new("open", "s-open", vec![1., 4., 0., 2.])],
        );
        let points = line_points(&svg, 0);
        assert_eq!(points.len(), 4);
        assert_eq!(points[1].1, TOP, "4 is the highest: {points:?}");
        assert_eq!(points[2].1, BOTTOM, "0 sits on the axis");
        assert_eq!(points[3].1, (TOP + BOTTOM) / 2.0, "2 is half of 4");
        assert_eq!(points[0].0, LEFT);
        assert_eq!(points[3].0, RIGHT);
        assert!(svg.contains(">4</text>") && svg.contains(">0</text>"), "ticks 0 to 4: {svg}");
    }

    #[test]
    fn a_zero_series_is_flat_on_the_axis() {
        let series = [
            Series::new("opened", "s-opened", vec![3., 5., 1.]),
            Series::new("verified", "s-verified", vec![0., 0., 0.]),
        ];
        let svg = line_chart(&CAPTION, &labels(3), &series);
        let zero = line_points(&svg, 1);
        assert!(zero.iter().all(|(_, y)| *y == BOTTOM), "{zero:?}");
        // The axis rounds 5 up to a tick: 5 lies at the top.
        assert_eq!(line_points(&svg, 0)[1].1, TOP);
        // Each series has its own marker, at each point and in the legend:
        // circles for the first, squares next.
        assert_eq!(svg.matches("<circle class=\"marker s-opened\"").count(), 3 + 1);
        assert_eq!(svg.matches("<rect class=\"marker s-verified\"").count(), 3 + 1);

        let alone = line_chart(&CAPTION, &labels(2), &[Series::new("x", "s", vec![0., 0.])]);
        assert!(line_points(&alone, 0).iter().all(|(_, y)| *y == BOTTOM), "{alone}");
    }

    #[test]
    fn the_axis_rounds_up_to_a_step_of_one_two_or_five() {
        let top = |largest: f64| Scale::up_to([largest].into_iter());
        assert_eq!((top(7.).max, top(7.).step), (8., 2.));
        assert_eq!((top(37.).max, top(37.).step), (40., 10.));
        assert_eq!((top(3.).max, top(3.).step), (3., 1.));
        assert_eq!((top(5.).max, top(5.).step), (5., 1.));
        assert_eq!((top(10.).max, top(10.).step), (10., 2.));
        assert_eq!((top(1234.).max, top(1234.).step), (1500., 500.));
        assert_eq!((top(0.4).max, top(0.4).step), (1., 1.));
        assert_eq!((top(0.).max, top(0.).step), (1., 1.));
    }

    #[test]
    fn empty_data_says_so_instead_of_drawing() {
        let svg = line_chart(&CAPTION, &[], &[Series::new("open", "s-open", vec![])]);
        assert!(svg.contains("No data in this window."), "{svg}");
        assert!(!svg.contains("class=\"line"), "{svg}");
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>"));
        assert!(svg.contains("role=\"img\"") && svg.contains("<title id=\"c-title\">"));

        let bars = stacked_bars(&CAPTION, &labels(2), &[Series::new("x", "s", vec![0., 0.])]);
        assert!(bars.contains("no open tickets"), "{bars}");
        assert!(!bars.contains("class=\"seg"), "{bars}");
    }

    #[test]
    fn labels_and_names_are_escaped() {
        let caption = Caption { id: "c", title: "<script>x</script>", desc: "a & \"b\"" };
        let svg = line_chart(
            &caption,
            &["<b>".to_string()],
            &[Series::new("team <x>", "s-open", vec![1.0])],
        );
        assert!(!svg.contains("<script>") && !svg.contains("<b>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert!(svg.contains("a &amp; &quot;b&quot;"));
        assert!(svg.contains("team &lt;x&gt;"));
    }

    /// The (y, height) of every segment of `class`.
    fn segments(svg: &str, class: &str) -> Vec<(f64, f64)> {
        svg.split(&format!("<rect class=\"seg {class}\" "))
            .skip(1)
            .map(|rest| {
                let attr = |name: &str| -> f64 {
                    let value = rest.split(&format!("{name}=\"")).nth(1).unwrap();
                    value.split('"').next().unwrap().parse().unwrap()
                };
                (attr("y"), attr("height"))
            })
            .collect()
    }

    #[test]
    fn stacked_layers_sit_on_each_other_in_proportion() {
        let layers = [
            Series::new("Critical", "sev-critical", vec![2., 0.]),
            Series::new("High", "sev-high", vec![2., 1.]),
        ];
        let categories = ["0–7 days".to_string(), "8–30 days".to_string()];
        let svg = stacked_bars(&CAPTION, &categories, &layers);
        let legend_swatches = 1;
        let critical = segments(&svg, "sev-critical");
        let high = segments(&svg, "sev-high");
        assert_eq!(critical.len(), 1 + legend_swatches, "no segment for a zero: {svg}");
        assert_eq!(high.len(), 2 + legend_swatches);
        // The first bar's total, 4, reaches the top; each half is half of it.
        let (c_y, c_h) = critical[1];
        let (h_y, h_h) = high[1];
        assert_eq!(c_y + c_h, BOTTOM);
        assert_eq!(h_y + h_h, c_y, "high sits on critical");
        assert_eq!(h_y, TOP);
        assert_eq!(c_h, h_h);
        assert!(svg.contains("fill=\"url(#c-p1)\""), "the second layer is hatched: {svg}");
        assert!(svg.contains("<pattern id=\"c-p1\""));
        assert!(svg.contains(">4</text>"), "the total over the bar");
    }

    #[test]
    fn the_gauge_arc_ends_where_the_percentage_says() {
        let end = |f: f64| {
            let (x, y) = gauge_end(f);
            ((x * 10.0).round() / 10.0, (y * 10.0).round() / 10.0)
        };
        assert_eq!(end(0.0), (GAUGE_CX - GAUGE_R, GAUGE_CY));
        assert_eq!(end(0.5), (GAUGE_CX, GAUGE_CY - GAUGE_R));
        assert_eq!(end(1.0), (GAUGE_CX + GAUGE_R, GAUGE_CY));
        let quarter = end(0.25);
        assert!(quarter.0 < GAUGE_CX && quarter.1 > GAUGE_CY - GAUGE_R, "{quarter:?}");

        let svg = gauge(&CAPTION, Some(0.8), "4 met, 1 missed");
        let (x, y) = gauge_end(0.8);
        assert!(svg.contains(&format!("0 0 1 {} {}\"", num(x), num(y))), "{svg}");
        assert!(svg.contains(">80 %</text>") && svg.contains("4 met, 1 missed"));
        let none = gauge(&CAPTION, None, "");
        assert!(none.contains("No data") && !none.contains("gauge-value"), "{none}");
        assert!(!gauge(&CAPTION, Some(0.0), "").contains("gauge-value"));
    }
}
