//! PDF through pdf_oxide: per-page text plus a scan of the spans for glyphs a
//! reader cannot see (tiny, white, off-page).

use pdf_oxide::document::PdfDocument;

use super::{ExtractError, ExtractLimits, HiddenReason, HiddenText, Raw};

pub(super) fn extract(data: Vec<u8>, limits: &ExtractLimits) -> Result<Raw, ExtractError> {
    if super::memfind(&data[..data.len().min(1024)], b"%PDF-").is_none() {
        return Err(ExtractError::Corrupt {
            detail: "no %PDF- header".into(),
        });
    }
    let doc = PdfDocument::from_bytes(data).map_err(map_err)?;
    if doc.is_encrypted() {
        // Owner-password-only PDFs open with the empty user password.
        match doc.authenticate(b"") {
            Ok(true) => {}
            _ => return Err(ExtractError::Encrypted),
        }
    }
    let pages = doc.page_count().map_err(map_err)?;
    if pages == 0 {
        return Err(ExtractError::Empty);
    }
    if pages > limits.max_pages {
        return Err(ExtractError::LimitExceeded {
            what: format!("{pages} pages (limit {})", limits.max_pages),
        });
    }
    let mut raw = Raw {
        pages: Some(pages),
        ..Raw::default()
    };
    let mut chars = 0usize;
    for page in 0..pages {
        let spans = doc.extract_spans(page).map_err(map_err)?;
        let media = doc.get_page_media_box(page).ok();
        let mut visible = Vec::with_capacity(spans.len());
        for span in spans {
            match hidden_reason(&span, media) {
                Some(reason) => {
                    let text = span.text.clone();
                    raw.hidden.push(HiddenText {
                        reason,
                        page: Some(page),
                        text,
                    });
                    if reason == HiddenReason::WhiteText {
                        visible.push(span);
                    }
                }
                None => visible.push(span),
            }
        }
        let text = assemble(&visible);
        chars += text.len();
        if chars > limits.max_text_chars * 4 {
            return Err(ExtractError::LimitExceeded {
                what: "text size".into(),
            });
        }
        if page > 0 {
            // A form feed line marks the page break (as pdftotext does).
            raw.text.push_str("\n\u{0C}\n");
        }
        raw.text.push_str(&text);
    }
    if doc.is_encrypted() && raw.text.trim().is_empty() {
        return Err(ExtractError::Encrypted);
    }
    Ok(raw)
}

fn map_err(e: pdf_oxide::error::Error) -> ExtractError {
    let msg = e.to_string();
    if matches!(e, pdf_oxide::error::Error::EncryptedPdf) || msg.to_lowercase().contains("encrypt")
    {
        ExtractError::Encrypted
    } else {
        ExtractError::Corrupt { detail: msg }
    }
}

fn hidden_reason(
    span: &pdf_oxide::layout::TextSpan,
    media: Option<(f32, f32, f32, f32)>,
) -> Option<HiddenReason> {
    if span.text.trim().is_empty() {
        return None;
    }
    if span.font_size > 0.0 && span.font_size < 2.0 {
        return Some(HiddenReason::TinyFont);
    }
    if let Some((x0, y0, x1, y1)) = media {
        let b = &span.bbox;
        let (lo_x, hi_x) = (x0.min(x1), x0.max(x1));
        let (lo_y, hi_y) = (y0.min(y1), y0.max(y1));
        if b.x + b.width < lo_x - 1.0
            || b.x > hi_x + 1.0
            || b.y + b.height < lo_y - 1.0
            || b.y > hi_y + 1.0
        {
            return Some(HiddenReason::OffPage);
        }
    }
    let c = &span.color;
    if c.r > 0.97 && c.g > 0.97 && c.b > 0.97 {
        return Some(HiddenReason::WhiteText);
    }
    None
}

type Item = (f32, f32, f32, f32, String); // (y, x0, x1, font size, text)

/// Page text in reading order. A page with a sidebar (a vertical gutter
/// that few spans cross, with real text on both sides) is read one column
/// after the other between the full-width lines; otherwise lines are read
/// top to bottom.
fn assemble(spans: &[pdf_oxide::layout::TextSpan]) -> String {
    let items: Vec<Item> = spans
        .iter()
        .filter(|s| !s.text.trim().is_empty())
        .map(|s| {
            let size = if s.font_size > 0.0 {
                s.font_size
            } else {
                s.bbox.height.max(1.0)
            };
            (
                s.bbox.y,
                s.bbox.x,
                s.bbox.x + s.bbox.width,
                size,
                s.text.clone(),
            )
        })
        .collect();
    let items = merge_segments(items);
    let mut sizes: Vec<f32> = items.iter().map(|i| i.3).collect();
    sizes.sort_by(f32::total_cmp);
    let median = sizes.get(sizes.len() / 2).copied().unwrap_or(10.0);
    // Display text (a name in 30 pt) spans the columns whatever its width.
    let big = |it: &Item| it.3 >= median * 1.6;
    let body: Vec<Item> = items.iter().filter(|i| !big(i)).cloned().collect();
    let Some(gutter) = find_gutter(&body) else {
        return lines_text(items);
    };
    let min_x = items.iter().map(|i| i.1).fold(f32::INFINITY, f32::min);
    let max_x = items.iter().map(|i| i.2).fold(f32::NEG_INFINITY, f32::max);
    let mut crossing: Vec<Item> = Vec::new();
    let mut rest: Vec<Item> = Vec::new();
    for it in items {
        // Only a line as wide as half the page is full-width; a long URL that
        // pokes past the gutter stays in its column.
        let wide = it.1 < gutter && it.2 > gutter && (it.2 - it.1) >= (max_x - min_x) * 0.5;
        if big(&it) || wide {
            crossing.push(it);
        } else {
            rest.push(it);
        }
    }
    // Full-width lines cut the page into bands; each band is read left
    // column first.
    crossing.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut cuts: Vec<Vec<Item>> = Vec::new();
    for c in crossing {
        match cuts.last_mut() {
            Some(line) if (line[0].0 - c.0).abs() <= line[0].3.min(c.3) * 0.5 => line.push(c),
            _ => cuts.push(vec![c]),
        }
    }
    let mut out = String::new();
    let mut upper = f32::INFINITY;
    for cut in cuts.into_iter().map(Some).chain(std::iter::once(None)) {
        let lower = cut.as_ref().map_or(f32::NEG_INFINITY, |c| {
            c.iter().map(|i| i.0).fold(f32::INFINITY, f32::min)
        });
        let band: Vec<Item> = rest
            .iter()
            .filter(|it| it.0 <= upper && it.0 > lower)
            .cloned()
            .collect();
        let (left, right): (Vec<Item>, Vec<Item>) = band.into_iter().partition(|it| it.1 < gutter);
        out.push_str(&lines_text(left));
        out.push('\n');
        out.push_str(&lines_text(right));
        if let Some(c) = cut {
            out.push('\n');
            out.push_str(&lines_text(c));
        }
        upper = lower;
    }
    out
}

/// Spans on one baseline with no more than a word space between them are
/// one segment: a word split into two spans must not fall on both sides of a
/// gutter.
fn merge_segments(mut items: Vec<Item>) -> Vec<Item> {
    items.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.total_cmp(&b.1)));
    let mut out: Vec<Item> = Vec::new();
    for it in items {
        if let Some(last) = out.last_mut() {
            let same_line = (last.0 - it.0).abs() <= last.3.min(it.3) * 0.3;
            let gap = it.1 - last.2;
            if same_line && gap > -last.3 && gap <= last.3.min(it.3) * 0.45 {
                if gap > it.3 * 0.12 && !last.4.ends_with(' ') && !it.4.starts_with(' ') {
                    last.4.push(' ');
                }
                last.4.push_str(&it.4);
                last.2 = last.2.max(it.2);
                continue;
            }
        }
        out.push(it);
    }
    out
}

/// An x where a sidebar meets the main column, if the page has one.
fn find_gutter(items: &[Item]) -> Option<f32> {
    if items.len() < 12 {
        return None;
    }
    let min_x = items.iter().map(|i| i.1).fold(f32::INFINITY, f32::min);
    let max_x = items.iter().map(|i| i.2).fold(f32::NEG_INFINITY, f32::max);
    let width = max_x - min_x;
    if width <= 0.0 {
        return None;
    }
    let total_chars: usize = items.iter().map(|i| i.4.chars().count()).sum();
    let steps = 200;
    let allowed = (items.len() / 25).max(2);
    let mut run_start: Option<f32> = None;
    let mut candidates: Vec<(f32, f32)> = Vec::new();
    for k in (steps * 15 / 100)..=(steps * 85 / 100) {
        let x = min_x + width * k as f32 / steps as f32;
        let crossings = items.iter().filter(|i| i.1 < x && i.2 > x).count();
        match (crossings <= allowed, run_start) {
            (true, None) => run_start = Some(x),
            (false, Some(x0)) => {
                candidates.push((x0, x));
                run_start = None;
            }
            _ => {}
        }
    }
    if let Some(x0) = run_start {
        candidates.push((x0, min_x + width * 0.85));
    }
    let mut best: Option<(usize, f32, f32)> = None; // (crossings, gap, x)
    for (x0, x1) in candidates {
        let x = (x0 + x1) / 2.0;
        let gap = x1 - x0;
        let side = |left: bool| -> bool {
            let its: Vec<&Item> = items
                .iter()
                .filter(|i| if left { i.2 <= x } else { i.1 >= x })
                .collect();
            let chars: usize = its.iter().map(|i| i.4.chars().count()).sum();
            // A column of dates or labels beside the text is not a sidebar.
            let dates = its
                .iter()
                .filter(|i| i.4.chars().filter(|c| c.is_ascii_digit()).count() >= 4)
                .count();
            its.len() >= 6 && chars * 100 >= total_chars * 10 && dates * 2 < its.len()
        };
        let crossings = items.iter().filter(|i| i.1 < x && i.2 > x).count();
        if gap >= 8.0 && side(true) && side(false) {
            let better = best.is_none_or(|(c, g, _)| crossings < c || (crossings == c && gap > g));
            if better {
                best = Some((crossings, gap, x));
            }
        }
    }
    best.map(|b| b.2)
}

/// Group items into lines by baseline, top of the page first; a gap wider
/// than a word space inside a line becomes three spaces, so chips, table
/// cells and right-aligned dates stay apart from their neighbours.
fn lines_text(mut items: Vec<Item>) -> String {
    // PDF space grows upwards: top of the page first.
    items.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.total_cmp(&b.1)));
    let mut lines: Vec<Vec<Item>> = Vec::new();
    for it in items {
        if let Some(line) = lines.last_mut() {
            let (y, _, _, h, _) = line[0];
            if (it.0 - y).abs() <= h.min(it.3) * 0.5 {
                line.push(it);
                continue;
            }
        }
        lines.push(vec![it]);
    }
    let mut out = String::new();
    let mut prev_y: Option<(f32, f32)> = None;
    for mut line in lines {
        line.sort_by(|a, b| a.1.total_cmp(&b.1));
        let (y, h) = (line[0].0, line[0].3);
        // A vertical gap well above the line height marks a new block.
        if let Some((py, ph)) = prev_y
            && py - y > ph.max(h) * 2.2
        {
            out.push('\n');
        }
        prev_y = Some((y, h));
        let mut prev_end: Option<f32> = None;
        for (_, x0, x1, size, t) in &line {
            let (x0, x1, size) = (*x0, *x1, *size);
            if let Some(end) = prev_end {
                let gap = x0 - end;
                if gap > size * 0.45 {
                    out.push_str("   ");
                } else if gap > size * 0.12 && !out.ends_with(' ') && !t.starts_with(' ') {
                    out.push(' ');
                }
            }
            out.push_str(t);
            prev_end = Some(x1);
        }
        out.push('\n');
    }
    out
}
