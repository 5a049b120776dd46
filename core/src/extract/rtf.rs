//! A small RTF reader: text, paragraph and line breaks, `\'hh` (Windows-1252)
//! and `\uN` escapes; font/colour/style tables, pictures and `\*` destinations
//! are skipped; `\v` (hidden) text is reported, not returned.

use super::{ExtractError, HiddenReason, HiddenText, Raw};

const SKIP_DESTS: &[&str] = &[
    "fonttbl",
    "colortbl",
    "stylesheet",
    "info",
    "pict",
    "object",
    "header",
    "footer",
    "headerl",
    "headerr",
    "footerl",
    "footerr",
    "listtable",
    "listoverridetable",
    "themedata",
    "colorschememapping",
    "latentstyles",
    "datastore",
    "xmlnstbl",
    "rsidtbl",
    "generator",
    "fldinst",
    "bkmkstart",
    "bkmkend",
];

#[derive(Clone, Copy)]
struct State {
    skip: bool,
    hidden: bool,
    uc: usize,
}

pub(super) fn extract(bytes: &[u8]) -> Result<Raw, ExtractError> {
    if !bytes.starts_with(b"{\\rtf") {
        let trimmed = bytes
            .iter()
            .position(|c| !c.is_ascii_whitespace())
            .map_or(&bytes[..0], |p| &bytes[p..]);
        if !trimmed.starts_with(b"{\\rtf") {
            return Err(ExtractError::Corrupt {
                detail: "missing {\\rtf header".into(),
            });
        }
    }
    let mut out = String::new();
    let mut hidden = String::new();
    let mut stack: Vec<State> = Vec::new();
    let mut st = State {
        skip: false,
        hidden: false,
        uc: 1,
    };
    let mut pending_skip = 0usize; // chars to drop after \uN
    let mut i = 0;
    let push = |c: char, st: &State, out: &mut String, hidden: &mut String| {
        if st.skip {
        } else if st.hidden {
            hidden.push(c);
        } else {
            out.push(c);
        }
    };
    while i < bytes.len() {
        let c = bytes[i];
        match c {
            b'{' => {
                if stack.len() > 1000 {
                    return Err(ExtractError::LimitExceeded {
                        what: "RTF group nesting".into(),
                    });
                }
                stack.push(st);
                i += 1;
                // `{\*\dest ...}` is an ignorable destination.
                if bytes[i..].starts_with(b"\\*") {
                    st.skip = true;
                }
            }
            b'}' => {
                if st.hidden && !st.skip {
                    hidden.push('\n');
                }
                st = stack.pop().unwrap_or(st);
                i += 1;
            }
            b'\\' => {
                i += 1;
                let Some(&n) = bytes.get(i) else { break };
                if n.is_ascii_alphabetic() {
                    let start = i;
                    while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                        i += 1;
                    }
                    let word = std::str::from_utf8(&bytes[start..i]).unwrap_or("");
                    let pstart = i;
                    if i < bytes.len() && (bytes[i] == b'-' || bytes[i].is_ascii_digit()) {
                        i += 1;
                        while i < bytes.len() && bytes[i].is_ascii_digit() {
                            i += 1;
                        }
                    }
                    let param: Option<i64> = std::str::from_utf8(&bytes[pstart..i])
                        .ok()
                        .and_then(|p| p.parse().ok());
                    if i < bytes.len() && bytes[i] == b' ' {
                        i += 1;
                    }
                    if SKIP_DESTS.contains(&word) {
                        st.skip = true;
                        continue;
                    }
                    match word {
                        "par" | "line" | "sect" | "page" | "row" => {
                            push('\n', &st, &mut out, &mut hidden)
                        }
                        "tab" | "cell" => push('\t', &st, &mut out, &mut hidden),
                        "emdash" => push('—', &st, &mut out, &mut hidden),
                        "endash" => push('–', &st, &mut out, &mut hidden),
                        "bullet" => push('•', &st, &mut out, &mut hidden),
                        "lquote" | "rquote" => push('\'', &st, &mut out, &mut hidden),
                        "ldblquote" | "rdblquote" => push('"', &st, &mut out, &mut hidden),
                        "v" => st.hidden = param != Some(0),
                        "uc" => st.uc = param.unwrap_or(1).clamp(0, 8) as usize,
                        "u" => {
                            if let Some(p) = param {
                                let cp = if p < 0 { p + 65536 } else { p } as u32;
                                push(
                                    char::from_u32(cp).unwrap_or('\u{FFFD}'),
                                    &st,
                                    &mut out,
                                    &mut hidden,
                                );
                                pending_skip = st.uc;
                            }
                            continue;
                        }
                        _ => {}
                    }
                } else if n == b'\'' {
                    let hex = bytes
                        .get(i + 1..i + 3)
                        .and_then(|h| std::str::from_utf8(h).ok());
                    i += 3;
                    if pending_skip > 0 {
                        pending_skip -= 1;
                        continue;
                    }
                    if let Some(v) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                        push(cp1252(v), &st, &mut out, &mut hidden);
                    }
                } else {
                    i += 1;
                    match n {
                        b'\\' | b'{' | b'}' => push(n as char, &st, &mut out, &mut hidden),
                        b'~' => push(' ', &st, &mut out, &mut hidden),
                        b'-' => {}
                        b'_' => push('-', &st, &mut out, &mut hidden),
                        b'\n' | b'\r' => push('\n', &st, &mut out, &mut hidden),
                        _ => {}
                    }
                }
            }
            b'\r' | b'\n' => i += 1,
            _ => {
                // Plain run up to the next special byte; bytes are cp1252/UTF-8.
                let start = i;
                while i < bytes.len() && !matches!(bytes[i], b'{' | b'}' | b'\\' | b'\r' | b'\n') {
                    i += 1;
                }
                let mut chunk = &bytes[start..i];
                while pending_skip > 0 && !chunk.is_empty() {
                    chunk = &chunk[1..];
                    pending_skip -= 1;
                }
                let text = match std::str::from_utf8(chunk) {
                    Ok(s) => s.to_string(),
                    Err(_) => chunk.iter().map(|&b| cp1252(b)).collect(),
                };
                for ch in text.chars() {
                    push(ch, &st, &mut out, &mut hidden);
                }
                continue;
            }
        }
        if !matches!(c, b'\\') {
            pending_skip = 0;
        }
    }
    let hidden = hidden
        .split('\n')
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| HiddenText {
            reason: HiddenReason::HiddenFormat,
            page: None,
            text: l.to_string(),
        })
        .collect();
    Ok(Raw {
        text: out,
        hidden,
        ..Raw::default()
    })
}

fn cp1252(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8D}', 'Ž',
        '\u{8F}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9D}',
        'ž', 'Ÿ',
    ];
    match b {
        0x80..=0x9F => HIGH[(b - 0x80) as usize],
        _ => b as char,
    }
}
