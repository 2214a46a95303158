//! Charts as inline SVG drawn on the server: readable without JavaScript or CSS, named for screen readers, and a
//! few hundred bytes each.
//!
//! There is no `viewBox`: the drawing is as wide as the page and positions across it are percentages, so the text
//! keeps the page's own size on a phone and on a laptop, and nothing needs to know how wide a glyph is (no font
//! files on the server). Each label sits on its own line above its bar, with the number at the right end, so long
//! Vietnamese names never collide with the bar. The `<svg>` has `role="img"` and is named by its `<title>`; the
//! page puts the same numbers in a table beside it.

use super::view::escape_into;

/// Bars, text and lines: the brand red on white is 6.6:1, the text near-black (WCAG AA for text and graphics).
const BAR: &str = "#b71c1c";
const TRACK: &str = "#ececec";
const TEXT: &str = "#1a1a1a";
const MUTED: &str = "#555";
/// Labels longer than this many characters are cut with "…" in the drawing (the table has them whole).
const MAX_LABEL: usize = 30;

/// One horizontal bar.
#[derive(Debug, Clone)]
pub struct Bar {
    /// What it counts.
    pub label: String,
    /// The count.
    pub value: i64,
    /// The count as shown ("1.234", "120 (85%)").
    pub shown: String,
}

/// One column of a chart over time; `value: None` is a gap in the axis.
#[derive(Debug, Clone)]
pub struct Column {
    /// Label under the column, if this one is labelled.
    pub label: Option<String>,
    /// Second line under the label (the year).
    pub sublabel: Option<String>,
    /// The count, or `None` for a gap.
    pub value: Option<i64>,
    /// The count as shown above the column.
    pub shown: String,
}

fn open(out: &mut String, id: &str, title: &str, height: u32) {
    out.push_str(&format!(
        "<svg class=\"chart\" width=\"100%\" height=\"{height}\" role=\"img\" aria-labelledby=\"{id}-t\">\
         <title id=\"{id}-t\">"
    ));
    escape_into(out, title);
    out.push_str("</title>");
}

fn text(out: &mut String, attrs: &str, content: &str) {
    out.push_str(&format!("<text {attrs}>"));
    escape_into(out, content);
    out.push_str("</text>");
}

/// `s` cut to [`MAX_LABEL`] characters.
fn cut(s: &str) -> String {
    if s.chars().count() <= MAX_LABEL {
        s.to_string()
    } else {
        let mut c: String = s.chars().take(MAX_LABEL - 1).collect();
        c.push('…');
        c
    }
}

/// `value` as a percentage of `max` for a bar's length: one decimal, and never invisible when not zero.
fn percent(value: i64, max: i64) -> String {
    if max <= 0 || value <= 0 {
        return "0".into();
    }
    let p = (value as f64 / max as f64 * 100.0).clamp(0.6, 100.0);
    let s = format!("{p:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Horizontal bars, one a row, lengths relative to `max` (the largest value, or the funnel's first stage).
pub fn bars(id: &str, title: &str, rows: &[Bar], max: i64) -> String {
    const ROW: u32 = 42;
    let mut out = String::with_capacity(200 + rows.len() * 260);
    open(&mut out, id, title, ROW * rows.len() as u32);
    for (i, r) in rows.iter().enumerate() {
        let y = ROW * i as u32;
        text(
            &mut out,
            &format!("x=\"0\" y=\"{}\" fill=\"{TEXT}\"", y + 16),
            &cut(&r.label),
        );
        text(
            &mut out,
            &format!(
                "x=\"100%\" y=\"{}\" text-anchor=\"end\" fill=\"{TEXT}\" font-weight=\"600\"",
                y + 16
            ),
            &r.shown,
        );
        out.push_str(&format!(
            "<rect y=\"{}\" width=\"100%\" height=\"12\" fill=\"{TRACK}\"/>\
             <rect y=\"{}\" width=\"{}%\" height=\"12\" fill=\"{BAR}\"/>",
            y + 23,
            y + 23,
            percent(r.value, max)
        ));
    }
    out.push_str("</svg>");
    out
}

/// Columns over time, left to right; values are written above the columns when there are few enough to fit.
pub fn columns(id: &str, title: &str, cols: &[Column]) -> String {
    const TOP: f64 = 22.0;
    const BASE: f64 = 148.0;
    let max = cols.iter().filter_map(|c| c.value).max().unwrap_or(0);
    // At least six places, so one or two months do not make one wide slab.
    let slots = cols.len().max(6) as f64;
    let w = 100.0 / slots;
    let with_values = cols.len() <= 12;
    let mut out = String::with_capacity(300 + cols.len() * 220);
    open(&mut out, id, title, 190);
    out.push_str(&format!(
        "<rect y=\"{BASE}\" width=\"100%\" height=\"1\" fill=\"{MUTED}\"/>"
    ));
    for (i, c) in cols.iter().enumerate() {
        let mid = format!("{:.2}%", (i as f64 + 0.5) * w);
        match c.value {
            None => text(
                &mut out,
                &format!(
                    "x=\"{mid}\" y=\"{}\" text-anchor=\"middle\" fill=\"{MUTED}\"",
                    BASE - 6.0
                ),
                "…",
            ),
            Some(v) => {
                let h = if max > 0 {
                    (v as f64 / max as f64 * (BASE - TOP)).max(if v > 0 { 1.5 } else { 0.0 })
                } else {
                    0.0
                };
                out.push_str(&format!(
                    "<rect x=\"{:.2}%\" y=\"{:.1}\" width=\"{:.2}%\" height=\"{h:.1}\" fill=\"{BAR}\"/>",
                    (i as f64 + 0.15) * w,
                    BASE - h,
                    0.7 * w
                ));
                if with_values && v > 0 {
                    text(
                        &mut out,
                        &format!(
                            "x=\"{mid}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"{TEXT}\" font-size=\"13\"",
                            BASE - h - 5.0
                        ),
                        &c.shown,
                    );
                }
            }
        }
        if let Some(l) = &c.label {
            text(
                &mut out,
                &format!(
                    "x=\"{mid}\" y=\"{}\" text-anchor=\"middle\" fill=\"{TEXT}\" font-size=\"13\"",
                    BASE + 18.0
                ),
                l,
            );
        }
        if let Some(l) = &c.sublabel {
            text(
                &mut out,
                &format!(
                    "x=\"{mid}\" y=\"{}\" text-anchor=\"middle\" fill=\"{MUTED}\" font-size=\"12\"",
                    BASE + 36.0
                ),
                l,
            );
        }
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_are_named_escaped_and_scaled() {
        let svg = bars(
            "c",
            "Ý tưởng theo <lĩnh vực>",
            &[
                Bar {
                    label: "Giao thông".into(),
                    value: 40,
                    shown: "40".into(),
                },
                Bar {
                    label: "Môi trường & \"khác\"".into(),
                    value: 10,
                    shown: "10".into(),
                },
                Bar {
                    label: "Không có".into(),
                    value: 0,
                    shown: "0".into(),
                },
            ],
            40,
        );
        assert!(svg.starts_with("<svg class=\"chart\" width=\"100%\" height=\"126\" role=\"img\" aria-labelledby=\"c-t\">"));
        assert!(svg.contains("<title id=\"c-t\">Ý tưởng theo &#60;lĩnh vực&#62;</title>"));
        assert!(svg.contains("Môi trường &#38; &#34;khác&#34;"));
        assert!(svg.contains("width=\"100%\" height=\"12\" fill=\"#b71c1c\""));
        assert!(svg.contains("width=\"25%\" height=\"12\" fill=\"#b71c1c\""));
        assert!(svg.contains("width=\"0%\" height=\"12\" fill=\"#b71c1c\""));
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn long_labels_are_cut_and_small_values_stay_visible() {
        let long = "Trường Trung học phổ thông chuyên Lê Hồng Phong";
        assert_eq!(cut(long).chars().count(), MAX_LABEL);
        assert!(cut(long).ends_with('…'));
        assert_eq!(cut("Phường 12"), "Phường 12");
        assert_eq!(percent(1, 100_000), "0.6");
        assert_eq!(percent(0, 10), "0");
        assert_eq!(percent(1, 3), "33.3");
    }

    #[test]
    fn columns_draw_gaps_and_hide_values_when_crowded() {
        let col = |v: Option<i64>| Column {
            label: Some("T9".into()),
            sublabel: None,
            value: v,
            shown: v.map(|v| v.to_string()).unwrap_or_default(),
        };
        let svg = columns("m", "Theo tháng", &[col(Some(3)), col(None), col(Some(6))]);
        assert_eq!(svg.matches("fill=\"#b71c1c\"").count(), 2);
        assert!(svg.contains(">…</text>"));
        assert!(svg.contains(">6</text>"));
        let many: Vec<Column> = (0..20).map(|i| col(Some(i + 1))).collect();
        let svg = columns("m", "Theo tháng", &many);
        assert!(!svg.contains(">20</text>"));
    }
}
