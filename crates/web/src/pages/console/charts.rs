//! Charts drawn on the server as SVG: a page shows them without script, a
//! printer prints them, and the Content-Security-Policy needs nothing
//! inline. Each chart is a `<figure>` whose `<svg>` carries a `<title>` and
//! whose caption says in words what the chart shows, for screen readers.
//!
//! Colours and type come from the stylesheet (`.chart …` rules), so the
//! charts follow the console's look; the SVG only places shapes.

use std::fmt::Write;

/// Escapes text for SVG and HTML.
fn esc(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

const W: f64 = 560.0;
const H: f64 = 200.0;
const LEFT: f64 = 44.0;
const RIGHT: f64 = 28.0;
const TOP: f64 = 12.0;
const BOTTOM: f64 = 28.0;

/// A line over weekly points: `points` are (label, value or none), drawn
/// between `min` and `max`; gaps where a week has no value.
pub fn line(id: &str, title: &str, caption: &str, points: &[(String, Option<f64>)], min: f64, max: f64, ticks: &[f64]) -> String {
    let mut svg = String::new();
    let n = points.len().max(1);
    let x = |i: usize| LEFT + (W - LEFT - RIGHT) * if n == 1 { 0.5 } else { i as f64 / (n - 1) as f64 };
    let y = |v: f64| TOP + (H - TOP - BOTTOM) * (1.0 - ((v - min) / (max - min)).clamp(0.0, 1.0));
    let _ = write!(svg, r#"<figure class="chart" id="{id}">{}<svg viewBox="0 0 {W} {H}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{}</title>"#, figcaption(title, caption), esc(title));
    for t in ticks {
        let _ = write!(svg, r#"<line class="grid" x1="{LEFT}" x2="{}" y1="{y:.1}" y2="{y:.1}"/><text class="axis" x="{}" y="{:.1}" text-anchor="end">{}</text>"#, W - RIGHT, LEFT - 6.0, y(*t) + 4.0, fmt_tick(*t), y = y(*t));
    }
    let label_every = n.div_ceil(8);
    for (i, (label, _)) in points.iter().enumerate() {
        if i % label_every == 0 {
            let _ = write!(svg, r#"<text class="axis" x="{:.1}" y="{}" text-anchor="middle">{}</text>"#, x(i), H - 8.0, esc(label));
        }
    }
    let mut run: Vec<(f64, f64)> = Vec::new();
    let flush = |run: &mut Vec<(f64, f64)>, svg: &mut String| {
        if run.len() > 1 {
            let d: Vec<String> = run.iter().map(|(a, b)| format!("{a:.1},{b:.1}")).collect();
            let _ = write!(svg, r#"<polyline class="series" points="{}"/>"#, d.join(" "));
        }
        run.clear();
    };
    for (i, (label, v)) in points.iter().enumerate() {
        match v {
            Some(v) => {
                run.push((x(i), y(*v)));
                let _ = write!(svg, r#"<circle class="point" cx="{:.1}" cy="{:.1}" r="3"><title>{}: {}</title></circle>"#, x(i), y(*v), esc(label), fmt_value(*v));
            }
            None => flush(&mut run, &mut svg),
        }
    }
    flush(&mut run, &mut svg);
    svg.push_str("</svg></figure>");
    svg
}

/// The chart's title, seen, and what it shows, in words.
fn figcaption(title: &str, caption: &str) -> String {
    format!("<figcaption><strong>{}</strong> {}</figcaption>", esc(title), esc(caption))
}

/// One horizontal bar a row: (label, value, the value in words, a link).
pub struct Bar {
    pub label: String,
    pub value: f64,
    pub text: String,
    pub href: Option<String>,
}

/// Horizontal bars scaled to `max` (the largest value when `None`).
pub fn bars(id: &str, title: &str, caption: &str, rows: &[Bar], max: Option<f64>) -> String {
    let row_h = 26.0;
    let label_w = 150.0;
    let h = TOP + row_h * rows.len().max(1) as f64 + 4.0;
    let max = max.unwrap_or_else(|| rows.iter().map(|r| r.value).fold(0.0, f64::max)).max(f64::MIN_POSITIVE);
    let span = W - label_w - 90.0;
    let mut svg = String::new();
    let _ = write!(svg, r#"<figure class="chart" id="{id}">{}<svg viewBox="0 0 {W} {h}" role="img" aria-labelledby="{id}-title"><title id="{id}-title">{}</title>"#, figcaption(title, caption), esc(title));
    if rows.is_empty() {
        let _ = write!(svg, r#"<text class="axis" x="{LEFT}" y="{}">Nothing to show for this period.</text>"#, TOP + 14.0);
    }
    for (i, r) in rows.iter().enumerate() {
        let y = TOP + row_h * i as f64;
        let w = (span * (r.value / max).clamp(0.0, 1.0)).max(if r.value > 0.0 { 2.0 } else { 0.0 });
        let bar = format!(
            r#"<text class="label" x="{:.1}" y="{:.1}" text-anchor="end">{}</text><rect class="bar" x="{label_w}" y="{:.1}" width="{w:.1}" height="{:.1}" rx="2"/><text class="value" x="{:.1}" y="{:.1}">{}</text>"#,
            label_w - 8.0,
            y + 15.0,
            esc(&r.label),
            y + 3.0,
            row_h - 8.0,
            label_w + w + 6.0,
            y + 15.0,
            esc(&r.text)
        );
        match &r.href {
            Some(href) => {
                let _ = write!(svg, r#"<a href="{}">{bar}</a>"#, esc(href));
            }
            None => svg.push_str(&bar),
        }
    }
    svg.push_str("</svg></figure>");
    svg
}

fn fmt_tick(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn fmt_value(v: f64) -> String {
    format!("{v:.2}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_breaks_where_a_week_has_no_value() {
        let pts = vec![("a".to_string(), Some(4.0)), ("b".into(), Some(5.0)), ("c".into(), None), ("d".into(), Some(3.0)), ("e".into(), Some(3.5))];
        let svg = line("t", "T", "caption", &pts, 1.0, 5.0, &[1.0, 3.0, 5.0]);
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 4);
        assert!(svg.contains("<figcaption><strong>T</strong> caption</figcaption>"));
    }

    #[test]
    fn text_is_escaped_and_bars_scale_to_the_largest() {
        let rows = vec![
            Bar { label: "<b>&".into(), value: 2.0, text: "2".into(), href: Some("/x?a=1&b=2".into()) },
            Bar { label: "one".into(), value: 1.0, text: "1".into(), href: None },
        ];
        let svg = bars("b", "B", "c", &rows, None);
        assert!(svg.contains("&lt;b&gt;&amp;") && svg.contains("href=\"/x?a=1&amp;b=2\""));
        assert!(svg.contains(r#"width="320.0""#) && svg.contains(r#"width="160.0""#), "{svg}");
        assert!(bars("e", "E", "c", &[], None).contains("Nothing to show"));
    }
}
