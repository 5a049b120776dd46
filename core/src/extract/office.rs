//! DOCX and legacy DOC through office_oxide, under its per-document limits.
//! Hidden (`w:vanish`) runs are found by reading the document twice, with and
//! without hidden text, and keeping the lines only the second reading has. The second
//! reading is skipped when no XML part of the package mentions `vanish` at all
//! ([`may_hide_text`]): reading a DOCX is mostly parsing its styles, so this halves the
//! cost of the usual document.

use std::collections::HashSet;
use std::io::Cursor;

use office_oxide::options::{OnIncomplete, ParseOptions};
use office_oxide::{Document, DocumentFormat, OfficeError};

use super::{DocKind, ExtractError, ExtractLimits, HiddenReason, HiddenText, Raw};

pub(super) fn extract(
    data: Vec<u8>,
    kind: DocKind,
    limits: &ExtractLimits,
) -> Result<Raw, ExtractError> {
    let format = match kind {
        DocKind::Docx => {
            if !data.starts_with(b"PK\x03\x04") {
                if is_encrypted_ooxml(&data) {
                    return Err(ExtractError::Encrypted);
                }
                return Err(ExtractError::Corrupt {
                    detail: "not a zip package".into(),
                });
            }
            DocumentFormat::Docx
        }
        DocKind::Doc => {
            if is_encrypted_ooxml(&data) {
                return Err(ExtractError::Encrypted);
            }
            DocumentFormat::Doc
        }
        _ => return Err(ExtractError::Unsupported),
    };
    let mut options = ParseOptions::strict();
    options.limits.package_bytes = limits.max_decompressed_bytes;
    options.limits.part_bytes = limits.max_decompressed_bytes;
    options.limits.text_chars = limits.max_text_chars.saturating_mul(2);
    options.on_incomplete = OnIncomplete::Error;
    options.include_hidden_text = false;

    let doc =
        Document::from_reader_with(Cursor::new(data.clone()), format, &options).map_err(map_err)?;
    // Markdown keeps what plain text loses: table cells apart, tab stops,
    // line breaks inside a cell.
    let mut raw = Raw::text(markdown_to_text(&doc.to_markdown()));

    if format == DocumentFormat::Docx && may_hide_text(&data, limits.max_decompressed_bytes) {
        options.include_hidden_text = true;
        if let Ok(all) = Document::from_reader_with(Cursor::new(data), format, &options) {
            raw.hidden = hidden_lines(&raw.text, &markdown_to_text(&all.to_markdown()));
        }
    }
    Ok(raw)
}

/// Whether an XML part of the DOCX package `data` holds the bytes `vanish`: the name of
/// Word's hidden-text property, whether set on a run, a paragraph mark or a style. Only
/// such a document can read differently with hidden text included. Also true when the
/// package cannot be read here or its XML exceeds `limit` bytes (the second reading
/// then decides, under its own limits), so nothing hidden is missed.
pub(super) fn may_hide_text(data: &[u8], limit: u64) -> bool {
    const NEEDLE: &[u8] = b"vanish";
    let Ok(mut package) = zip::ZipArchive::new(Cursor::new(data)) else {
        return true;
    };
    let mut budget = limit;
    let mut buf = vec![0u8; 64 * 1024];
    for i in 0..package.len() {
        let Ok(part) = package.by_index(i) else {
            return true;
        };
        // A name that is not UTF-8 is read too: it may still be a part Word reads.
        let xml = part
            .name()
            .map_or(true, |n| n.to_ascii_lowercase().ends_with(".xml"));
        if !xml {
            continue;
        }
        match find_within(part, NEEDLE, &mut budget, &mut buf) {
            Some(false) => {}
            Some(true) | None => return true,
        }
    }
    false
}

/// Whether `reader` holds `needle`, reading at most `budget` bytes (and taking what it
/// read from it) through `buf`; None when it cannot tell (a read failed, or the budget ran
/// out first).
pub(super) fn find_within(
    reader: impl std::io::Read,
    needle: &[u8],
    budget: &mut u64,
    buf: &mut [u8],
) -> Option<bool> {
    use std::io::Read;
    let mut reader = reader.take(budget.saturating_add(1));
    // The needle may straddle two reads: keep the tail of the previous one.
    let mut carry = 0usize;
    loop {
        let n = match reader.read(&mut buf[carry..]) {
            Ok(0) => return Some(false),
            Ok(n) => n,
            Err(_) => return None,
        };
        if n as u64 > *budget {
            return None;
        }
        *budget -= n as u64;
        let filled = carry + n;
        if super::memfind(&buf[..filled], needle).is_some() {
            return Some(true);
        }
        carry = (needle.len() - 1).min(filled);
        buf.copy_within(filled - carry..filled, 0);
    }
}

/// Lines (or parts of lines) present only when hidden text is included.
fn hidden_lines(visible: &str, all: &str) -> Vec<HiddenText> {
    let seen: HashSet<&str> = visible.lines().map(str::trim).collect();
    all.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !seen.contains(l))
        .map(|l| HiddenText {
            reason: HiddenReason::HiddenFormat,
            page: None,
            text: l.to_string(),
        })
        .collect()
}

/// An encrypted OOXML file is a compound file holding `EncryptedPackage`.
fn is_encrypted_ooxml(data: &[u8]) -> bool {
    let name: Vec<u8> = "EncryptedPackage"
        .encode_utf16()
        .flat_map(|u| u.to_le_bytes())
        .collect();
    data.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) && super::memfind(data, &name).is_some()
}

fn map_err(e: OfficeError) -> ExtractError {
    let msg = e.to_string();
    let lower = msg.to_lowercase();
    if lower.contains("encrypt") || lower.contains("password") {
        ExtractError::Encrypted
    } else if lower.contains("limit")
        || lower.contains("too large")
        || lower.contains("exceeds")
        || lower.contains("ratio")
    {
        ExtractError::LimitExceeded { what: msg }
    } else {
        ExtractError::Corrupt { detail: msg }
    }
}

/// The Markdown office_oxide writes, back to text with its structure: a table
/// row becomes its cells one after the other (a sidebar cell, then the main
/// cell), `<br>` a line break, emphasis and escapes dropped.
pub(super) fn markdown_to_text(md: &str) -> String {
    let mut out = String::with_capacity(md.len());
    for line in md.lines() {
        let t = line.trim();
        if t.starts_with('|') {
            let cells = split_cells(t);
            if cells
                .iter()
                .all(|c| c.trim().chars().all(|ch| matches!(ch, '-' | ':' | ' ')))
            {
                continue;
            }
            for cell in cells {
                for part in cell.split("<br>") {
                    out.push_str(&inline(part.trim()));
                    out.push('\n');
                }
                out.push('\n');
            }
            continue;
        }
        let t = t.trim_start_matches('#').trim_start();
        out.push_str(&inline(t));
        out.push('\n');
    }
    out
}

fn split_cells(row: &str) -> Vec<String> {
    let mut cells = Vec::new();
    let mut cur = String::new();
    let mut chars = row.trim().trim_start_matches('|').chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\\' => {
                cur.push(c);
                if let Some(n) = chars.next() {
                    cur.push(n);
                }
            }
            '|' => cells.push(std::mem::take(&mut cur)),
            _ => cur.push(c),
        }
    }
    if !cur.trim().is_empty() {
        cells.push(cur);
    }
    cells
}

/// Inline Markdown to text: escapes, `**`/`*` emphasis, links as "text (url)".
fn inline(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let chars: Vec<char> = s.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '\\' if i + 1 < chars.len() && chars[i + 1].is_ascii_punctuation() => {
                out.push(chars[i + 1]);
                i += 2;
                continue;
            }
            '*' => {}
            '\t' => out.push_str("   "),
            '[' => {
                // [text](url)
                let rest: String = chars[i..].iter().collect();
                if let Some(close) = rest.find("](")
                    && let Some(end) = rest[close..].find(')')
                {
                    let text = &rest[1..close];
                    let url = &rest[close + 2..close + end];
                    out.push_str(&inline(text));
                    if !url.is_empty() && url != text && !text.contains(url) {
                        out.push_str(" (");
                        out.push_str(url);
                        out.push(')');
                    }
                    i += rest[..close + end + 1].chars().count();
                    continue;
                }
                out.push(c);
            }
            _ => out.push(c),
        }
        i += 1;
    }
    out
}
