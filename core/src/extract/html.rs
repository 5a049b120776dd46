//! A small, forgiving HTML → text reader: block elements break lines,
//! `script`/`style`/`head` are dropped, `display:none`/`hidden` elements are
//! reported as hidden text, entities are decoded.

use super::{HiddenReason, HiddenText, Raw};

const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "ul",
    "ol",
    "tr",
    "table",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "section",
    "article",
    "header",
    "footer",
    "aside",
    "nav",
    "main",
    "hr",
    "dt",
    "dd",
    "dl",
    "blockquote",
    "pre",
    "address",
    "title",
];
const SKIPPED: &[&str] = &["script", "style", "head", "noscript", "template", "svg"];
const VOID: &[&str] = &[
    "br", "hr", "img", "meta", "link", "input", "area", "base", "col", "embed", "source", "wbr",
];

pub(super) fn extract(src: &str) -> Raw {
    let mut out = String::new();
    let mut hidden_buf = String::new();
    let mut hidden = Vec::new();
    // Stack of open elements: (name, hidden?, skipped?)
    let mut stack: Vec<(String, bool, bool)> = Vec::new();
    let mut i = 0;
    let b = src.as_bytes();
    while i < b.len() {
        if b[i] == b'<' {
            if src[i..].starts_with("<!--") {
                i = src[i..].find("-->").map_or(b.len(), |e| i + e + 3);
                continue;
            }
            let end = match find_tag_end(src, i) {
                Some(e) => e,
                None => break,
            };
            let tag = &src[i + 1..end];
            i = end + 1;
            if tag.starts_with('!') || tag.starts_with('?') {
                continue;
            }
            let closing = tag.starts_with('/');
            let body = tag.trim_start_matches('/');
            let name: String = body
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric())
                .collect::<String>()
                .to_ascii_lowercase();
            if name.is_empty() {
                continue;
            }
            let in_hidden = stack.iter().any(|s| s.1);
            if BLOCKS.contains(&name.as_str()) {
                if in_hidden {
                    hidden_buf.push('\n');
                } else if !out.trim_end_matches(' ').ends_with('\n') {
                    out.push('\n');
                }
            } else if matches!(name.as_str(), "td" | "th") && !closing {
                // Cells of one row stay on one line, apart.
                out.push_str("   ");
            }
            if closing {
                if let Some(pos) = stack.iter().rposition(|s| s.0 == name) {
                    let was_hidden = stack[pos].1 && !stack[..pos].iter().any(|s| s.1);
                    stack.truncate(pos);
                    if was_hidden && !hidden_buf.trim().is_empty() {
                        hidden.push(HiddenText {
                            reason: HiddenReason::HiddenFormat,
                            page: None,
                            text: std::mem::take(&mut hidden_buf).trim().to_string(),
                        });
                    }
                }
            } else if !VOID.contains(&name.as_str()) && !body.ends_with('/') {
                let lower = body.to_ascii_lowercase();
                let style = lower.replace(' ', "");
                let is_hidden = style.contains("display:none")
                    || style.contains("visibility:hidden")
                    || style.contains("font-size:0")
                    || lower.split_whitespace().any(|a| a == "hidden")
                    || lower.contains("aria-hidden=\"true\"") && style.contains("display:none");
                let skipped = SKIPPED.contains(&name.as_str());
                stack.push((name, is_hidden, skipped));
            }
            continue;
        }
        let next = src[i..].find('<').map_or(b.len(), |p| i + p);
        let chunk = &src[i..next];
        i = next;
        if stack.iter().any(|s| s.2) {
            continue;
        }
        let text = decode_entities(chunk);
        let collapsed = collapse_ws(&text);
        if stack.iter().any(|s| s.1) {
            hidden_buf.push_str(&collapsed);
        } else {
            out.push_str(&collapsed);
        }
    }
    if !hidden_buf.trim().is_empty() {
        hidden.push(HiddenText {
            reason: HiddenReason::HiddenFormat,
            page: None,
            text: hidden_buf.trim().to_string(),
        });
    }
    let text = out.lines().map(str::trim).collect::<Vec<_>>().join("\n");
    Raw {
        text,
        hidden,
        ..Raw::default()
    }
}

fn find_tag_end(src: &str, start: usize) -> Option<usize> {
    let mut quote: Option<u8> = None;
    for (off, &c) in src.as_bytes()[start + 1..].iter().enumerate() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, b'"') | (None, b'\'') => quote = Some(c),
            (None, b'>') => return Some(start + 1 + off),
            _ => {}
        }
    }
    None
}

fn collapse_ws(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut space = false;
    for c in s.chars() {
        if c.is_whitespace() && c != '\u{A0}' {
            if !space {
                out.push(' ');
            }
            space = true;
        } else {
            out.push(if c == '\u{A0}' { ' ' } else { c });
            space = false;
        }
    }
    out
}

pub(super) fn decode_entities(s: &str) -> String {
    if !s.contains('&') {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(p) = rest.find('&') {
        out.push_str(&rest[..p]);
        rest = &rest[p..];
        // An entity is short; look for its ';' within a few characters
        // (by char, so a multi-byte letter never splits).
        let end = rest
            .char_indices()
            .take(12)
            .find(|&(_, c)| c == ';')
            .map(|(i, _)| i);
        let decoded = end.and_then(|e| {
            let ent = &rest[1..e];
            let c = match ent {
                "amp" => Some('&'),
                "lt" => Some('<'),
                "gt" => Some('>'),
                "quot" => Some('"'),
                "apos" => Some('\''),
                "nbsp" => Some(' '),
                "ndash" => Some('–'),
                "mdash" => Some('—'),
                "bull" => Some('•'),
                "middot" => Some('·'),
                "copy" => Some('©'),
                _ if ent.starts_with("#x") || ent.starts_with("#X") => {
                    u32::from_str_radix(&ent[2..], 16)
                        .ok()
                        .and_then(char::from_u32)
                }
                _ if ent.starts_with('#') => ent[1..].parse().ok().and_then(char::from_u32),
                _ => None,
            };
            c.map(|c| (c, e + 1))
        });
        match decoded {
            Some((c, len)) => {
                out.push(c);
                rest = &rest[len..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}
