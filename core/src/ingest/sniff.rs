//! Content sniffing: what a file is, decided from its bytes, never from its name.
//!
//! Pure logic. Names lie (a `cv.pdf` that is a zip, a `.txt` that is a Word file), and the
//! extractor that runs later must be chosen by what the bytes are. Each check looks at a
//! few bytes only, except plain text, which must be valid as a whole: a file that is
//! UTF-8 for its first kilobyte and binary afterwards is not text.
//!
//! DOCX is told apart from other zip files (XLSX, ODT, JAR, …) by reading the zip's
//! central directory, which lists every member's name, without decompressing anything: a
//! zip bomb costs nothing here.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::error::Error;

/// The formats resumeflow accepts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ContentType {
    Pdf,
    Docx,
    Doc,
    Rtf,
    Html,
    Text,
}

impl ContentType {
    pub const ALL: [ContentType; 6] = [
        ContentType::Pdf,
        ContentType::Docx,
        ContentType::Doc,
        ContentType::Rtf,
        ContentType::Html,
        ContentType::Text,
    ];

    /// The MIME type, as stored in `storage_objects.content_type` and `files.content_type`.
    pub fn mime(self) -> &'static str {
        match self {
            ContentType::Pdf => "application/pdf",
            ContentType::Docx => {
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
            }
            ContentType::Doc => "application/msword",
            ContentType::Rtf => "application/rtf",
            ContentType::Html => "text/html",
            ContentType::Text => "text/plain",
        }
    }

    /// The usual file extension, without the dot.
    pub fn extension(self) -> &'static str {
        match self {
            ContentType::Pdf => "pdf",
            ContentType::Docx => "docx",
            ContentType::Doc => "doc",
            ContentType::Rtf => "rtf",
            ContentType::Html => "html",
            ContentType::Text => "txt",
        }
    }
}

impl fmt::Display for ContentType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.mime())
    }
}

impl FromStr for ContentType {
    type Err = Error;
    /// Parses a MIME type as written by [`ContentType::mime`].
    fn from_str(s: &str) -> Result<Self, Error> {
        ContentType::ALL
            .into_iter()
            .find(|c| c.mime() == s)
            .ok_or_else(|| Error::invalid(format!("unknown content type {s:?}")))
    }
}

const OLE2_MAGIC: [u8; 8] = [0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1];
const ZIP_LOCAL: &[u8; 4] = b"PK\x03\x04";
const ZIP_EOCD: u32 = 0x0605_4b50;
const ZIP64_LOCATOR: u32 = 0x0706_4b50;
const ZIP64_EOCD: u32 = 0x0606_4b50;
const ZIP_CENTRAL: u32 = 0x0201_4b50;
const DOCX_MAIN_PART: &[u8] = b"word/document.xml";

/// What `bytes` are, or `None` for anything resumeflow does not read (including empty input).
pub fn sniff(bytes: &[u8]) -> Option<ContentType> {
    if bytes.is_empty() {
        return None;
    }
    // Readers accept a PDF header anywhere in the first kilobyte (some generators put
    // junk or a mail header first), so we do too.
    if find(&bytes[..bytes.len().min(1024)], b"%PDF-").is_some() {
        return Some(ContentType::Pdf);
    }
    if bytes.starts_with(ZIP_LOCAL) {
        // A zip that is not a Word document is unsupported, whatever else it holds.
        return zip_has_member(bytes, DOCX_MAIN_PART).then_some(ContentType::Docx);
    }
    if bytes.starts_with(&OLE2_MAGIC) {
        return Some(ContentType::Doc);
    }
    if let Some(text) = utf16_with_bom(bytes) {
        let text = text?;
        return Some(if looks_like_html(text.trim_start().as_bytes()) {
            ContentType::Html
        } else {
            ContentType::Text
        });
    }
    let head = skip_bom_and_space(bytes);
    if head.starts_with(b"{\\rtf") {
        return Some(ContentType::Rtf);
    }
    if looks_like_html(head) {
        return Some(ContentType::Html);
    }
    if !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok() {
        return Some(ContentType::Text);
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn skip_bom_and_space(bytes: &[u8]) -> &[u8] {
    let b = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let start = b
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(b.len());
    &b[start..]
}

/// `<!doctype html` or `<html`, possibly after an XML declaration and comments (XHTML).
fn looks_like_html(mut head: &[u8]) -> bool {
    // A bounded number of prologue items: a file of endless comments is not HTML.
    for _ in 0..16 {
        let lower: Vec<u8> = head
            .iter()
            .take(16)
            .map(|c| c.to_ascii_lowercase())
            .collect();
        if lower.starts_with(b"<!doctype html") || is_html_tag(&lower) {
            return true;
        }
        let end = if lower.starts_with(b"<?xml") {
            find(head, b"?>").map(|i| i + 2)
        } else if lower.starts_with(b"<!--") {
            find(head, b"-->").map(|i| i + 3)
        } else {
            None
        };
        match end {
            Some(e) => head = skip_bom_and_space(&head[e..]),
            None => return false,
        }
    }
    false
}

fn is_html_tag(lower: &[u8]) -> bool {
    lower.starts_with(b"<html")
        && matches!(
            lower.get(5),
            None | Some(b'>' | b' ' | b'\t' | b'\r' | b'\n' | b'/')
        )
}

/// For input with a UTF-16 byte-order mark: `Some(Some(text))` when all of it decodes and
/// holds no NUL, `Some(None)` when it does not; `None` without such a mark.
fn utf16_with_bom(bytes: &[u8]) -> Option<Option<String>> {
    let little = if bytes.starts_with(&[0xFF, 0xFE]) {
        true
    } else if bytes.starts_with(&[0xFE, 0xFF]) {
        false
    } else {
        return None;
    };
    let body = &bytes[2..];
    if !body.len().is_multiple_of(2) {
        return Some(None);
    }
    let units = body.chunks_exact(2).map(|p| {
        if little {
            u16::from_le_bytes([p[0], p[1]])
        } else {
            u16::from_be_bytes([p[0], p[1]])
        }
    });
    let text: Option<String> = char::decode_utf16(units)
        .map(|c| c.ok().filter(|&c| c != '\0'))
        .collect();
    Some(text)
}

fn u16_at(b: &[u8], at: usize) -> Option<usize> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?) as usize)
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn u64_at(b: &[u8], at: usize) -> Option<u64> {
    Some(u64::from_le_bytes(b.get(at..at + 8)?.try_into().ok()?))
}

/// Whether the zip archive in `bytes` lists a member named `name` in its central directory.
/// A zip whose directory cannot be read is treated as not having it.
pub(crate) fn zip_has_member(bytes: &[u8], name: &[u8]) -> bool {
    central_directory_names(bytes).is_some_and(|names| names.contains(&name))
}

/// The member names of a zip archive, read from its central directory (zip64 included).
fn central_directory_names(b: &[u8]) -> Option<Vec<&[u8]>> {
    // The end-of-central-directory record is 22 bytes plus a comment of at most 64 KiB;
    // search backwards so that a comment containing the signature cannot fool us.
    let lowest = b.len().saturating_sub(22 + 0xFFFF);
    let eocd = (lowest..=b.len().checked_sub(22)?).rev().find(|&i| {
        u32_at(b, i) == Some(ZIP_EOCD) && i + 22 + u16_at(b, i + 20).unwrap_or(0) <= b.len()
    })?;
    let mut entries = u16_at(b, eocd + 10)? as u64;
    let mut size = u32_at(b, eocd + 12)? as u64;
    let mut offset = u32_at(b, eocd + 16)? as u64;
    if offset == 0xFFFF_FFFF || size == 0xFFFF_FFFF || entries == 0xFFFF {
        let locator = eocd.checked_sub(20)?;
        if u32_at(b, locator)? != ZIP64_LOCATOR {
            return None;
        }
        let z = usize::try_from(u64_at(b, locator + 8)?).ok()?;
        if u32_at(b, z)? != ZIP64_EOCD {
            return None;
        }
        entries = u64_at(b, z + 32)?;
        size = u64_at(b, z + 40)?;
        offset = u64_at(b, z + 48)?;
    }
    let start = usize::try_from(offset).ok()?;
    let end = start.checked_add(usize::try_from(size).ok()?)?;
    let dir = b.get(start..end)?;
    let mut names = Vec::new();
    let mut at = 0usize;
    // Every entry is at least 46 bytes, which bounds the loop by the directory's size even
    // when the entry count lies.
    while (names.len() as u64) < entries && at + 46 <= dir.len() {
        if u32_at(dir, at)? != ZIP_CENTRAL {
            return None;
        }
        let name_len = u16_at(dir, at + 28)?;
        let extra_len = u16_at(dir, at + 30)?;
        let comment_len = u16_at(dir, at + 32)?;
        names.push(dir.get(at + 46..at + 46 + name_len)?);
        at += 46 + name_len + extra_len + comment_len;
    }
    Some(names)
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A stored (uncompressed) zip with the given members, built by hand: local headers,
    /// central directory, end record.
    pub(crate) fn zip(members: &[(&str, &[u8])]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut central = Vec::new();
        for (name, data) in members {
            let offset = out.len() as u32;
            out.extend_from_slice(ZIP_LOCAL);
            out.extend_from_slice(&[20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            out.extend_from_slice(&0u32.to_le_bytes()); // crc, not checked here
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(data.len() as u32).to_le_bytes());
            out.extend_from_slice(&(name.len() as u16).to_le_bytes());
            out.extend_from_slice(&0u16.to_le_bytes());
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(data);
            central.extend_from_slice(&ZIP_CENTRAL.to_le_bytes());
            central.extend_from_slice(&[20, 0, 20, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
            central.extend_from_slice(&0u32.to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(data.len() as u32).to_le_bytes());
            central.extend_from_slice(&(name.len() as u16).to_le_bytes());
            central.extend_from_slice(&[0; 8]); // extra, comment, disk, internal attrs
            central.extend_from_slice(&0u32.to_le_bytes()); // external attrs
            central.extend_from_slice(&offset.to_le_bytes());
            central.extend_from_slice(name.as_bytes());
        }
        let cd_offset = out.len() as u32;
        out.extend_from_slice(&central);
        out.extend_from_slice(&ZIP_EOCD.to_le_bytes());
        out.extend_from_slice(&[0, 0, 0, 0]);
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(members.len() as u16).to_le_bytes());
        out.extend_from_slice(&(central.len() as u32).to_le_bytes());
        out.extend_from_slice(&cd_offset.to_le_bytes());
        out.extend_from_slice(&0u16.to_le_bytes());
        out
    }

    pub(crate) fn docx() -> Vec<u8> {
        zip(&[
            ("[Content_Types].xml", b"<Types/>"),
            ("word/document.xml", b"<w:document/>"),
        ])
    }

    #[test]
    fn every_supported_kind() {
        assert_eq!(sniff(b"%PDF-1.7\n..."), Some(ContentType::Pdf));
        assert_eq!(sniff(b"junk\r\n%PDF-1.4\n"), Some(ContentType::Pdf));
        assert_eq!(sniff(&docx()), Some(ContentType::Docx));
        let mut doc = OLE2_MAGIC.to_vec();
        doc.extend_from_slice(&[0; 504]);
        assert_eq!(sniff(&doc), Some(ContentType::Doc));
        assert_eq!(sniff(b"{\\rtf1\\ansi Hello}"), Some(ContentType::Rtf));
        assert_eq!(sniff(b"\xEF\xBB\xBF  {\\rtf1 x}"), Some(ContentType::Rtf));
        assert_eq!(
            sniff(b"\n <!DOCTYPE html><html><body>x</body></html>"),
            Some(ContentType::Html)
        );
        assert_eq!(sniff(b"<HTML lang=en>x</HTML>"), Some(ContentType::Html));
        assert_eq!(
            sniff(b"<?xml version=\"1.0\"?>\n<!-- cv -->\n<html xmlns=\"x\"></html>"),
            Some(ContentType::Html)
        );
        assert_eq!(
            sniff("Ana Lima — Porto\nana@example.test\n".as_bytes()),
            Some(ContentType::Text)
        );
        let mut utf16: Vec<u8> = vec![0xFF, 0xFE];
        utf16.extend("Ana Lima\n".encode_utf16().flat_map(u16::to_le_bytes));
        assert_eq!(sniff(&utf16), Some(ContentType::Text));
        let mut utf16_html: Vec<u8> = vec![0xFE, 0xFF];
        utf16_html.extend("<html></html>".encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(sniff(&utf16_html), Some(ContentType::Html));
    }

    #[test]
    fn everything_else_is_unsupported() {
        assert_eq!(sniff(b""), None);
        // A zip that is not a Word document (an XLSX here) and a zip without a directory.
        assert_eq!(sniff(&zip(&[("xl/workbook.xml", b"<x/>")])), None);
        assert_eq!(sniff(b"PK\x03\x04 truncated word/document.xml"), None);
        // Binary: NULs, invalid UTF-8, an odd-length or NUL-bearing UTF-16 body.
        assert_eq!(sniff(b"Ana\0Lima"), None);
        assert_eq!(
            sniff(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]),
            None
        );
        assert_eq!(sniff(&[b'a', b'b', 0xC3]), None);
        assert_eq!(sniff(&[0xFF, 0xFE, b'a']), None);
        assert_eq!(sniff(&[0xFF, 0xFE, 0, 0]), None);
        // Text that turns binary after the first kilobyte is not text.
        let mut late = vec![b'a'; 4096];
        late.push(0);
        assert_eq!(sniff(&late), None);
        // "<html" must be the tag, not a prefix of another word.
        assert_eq!(sniff(b"<htmlish>"), Some(ContentType::Text));
    }

    #[test]
    fn zip_directory_reader_is_robust() {
        let z = docx();
        // Every truncation either still finds the directory or reports no member; none panics.
        for cut in 0..z.len() {
            let _ = zip_has_member(&z[..cut], DOCX_MAIN_PART);
        }
        assert!(zip_has_member(&z, DOCX_MAIN_PART));
        // A zip comment that contains the end-record signature does not confuse the search.
        let mut commented = z.clone();
        let n = commented.len();
        let comment = b"PK\x05\x06 fake end record inside a comment";
        commented[n - 2..].copy_from_slice(&(comment.len() as u16).to_le_bytes());
        commented.extend_from_slice(comment);
        assert!(zip_has_member(&commented, DOCX_MAIN_PART));
        // A member whose name only contains the part name does not count.
        assert!(!zip_has_member(
            &zip(&[("old/word/document.xml.bak", b"")]),
            DOCX_MAIN_PART
        ));
    }

    #[test]
    fn mime_round_trips() {
        for c in ContentType::ALL {
            assert_eq!(c.mime().parse::<ContentType>().unwrap(), c);
        }
        assert!("image/png".parse::<ContentType>().is_err());
    }
}
