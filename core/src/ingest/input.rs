//! Reading and classifying one upload: size limit, streaming SHA-256, content sniffing.
//!
//! An upload is held in memory once. A path is read in 64 KiB chunks into a single buffer
//! sized from its metadata while the chunks feed the hash, so hashing costs no second
//! copy; the size limit is checked before the first read (and again while reading, for a
//! file that grows). The buffer is then handed by value to the store seal, which encrypts
//! it in place.

use std::path::Path;

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::io::AsyncReadExt;

use super::sniff::{ContentType, sniff};

/// 64 KiB: large enough that a read costs little per byte, small enough to stay in cache.
const CHUNK: usize = 64 * 1024;

/// Bounds on what one upload may be.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct IngestLimits {
    /// The largest file accepted, in bytes; larger ones are rejected with
    /// [`IngestError::FileTooLarge`] without being read. Default 20 MiB.
    pub max_file_bytes: u64,
}

impl IngestLimits {
    pub const DEFAULT_MAX_FILE_BYTES: u64 = 20 * 1024 * 1024;
}

impl Default for IngestLimits {
    fn default() -> Self {
        IngestLimits {
            max_file_bytes: Self::DEFAULT_MAX_FILE_BYTES,
        }
    }
}

/// Why an upload was rejected. A rejected upload is not an error of the call that brought
/// it: it becomes a failed file row (with [`IngestError::code`] in `error_code`) and an
/// `error_logs` row, and the rest of the batch goes on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum IngestError {
    #[error("the file is empty")]
    EmptyFile,
    #[error("the file has {size} bytes, more than the limit of {limit}")]
    FileTooLarge { size: u64, limit: u64 },
    #[error("the content is none of PDF, DOCX, DOC, RTF, HTML or plain text")]
    UnsupportedType,
    #[error("the file cannot be read: {reason}")]
    UnreadableFile { reason: String },
}

impl IngestError {
    /// The stable code stored in `files.error_code` and `error_logs.code`.
    pub fn code(&self) -> &'static str {
        match self {
            IngestError::EmptyFile => "empty_file",
            IngestError::FileTooLarge { .. } => "file_too_large",
            IngestError::UnsupportedType => "unsupported_type",
            IngestError::UnreadableFile { .. } => "unreadable_file",
        }
    }
}

/// An upload after reading: either content to store, or a rejection.
pub(crate) enum Input {
    Good {
        bytes: Vec<u8>,
        sha256: String,
        content_type: ContentType,
    },
    Bad {
        error: IngestError,
        /// Known when the content was read (empty or unsupported files), so that adding the
        /// same rejected content twice to a batch is still idempotent.
        sha256: Option<String>,
        size: u64,
    },
}

impl Input {
    pub(crate) fn size(&self) -> u64 {
        match self {
            Input::Good { bytes, .. } => bytes.len() as u64,
            Input::Bad { size, .. } => *size,
        }
    }
}

fn too_large(size: u64, limits: &IngestLimits) -> Option<Input> {
    (size > limits.max_file_bytes).then_some(Input::Bad {
        error: IngestError::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        },
        sha256: None,
        size,
    })
}

/// Classifies bytes whose hash is known (or computes it).
fn classify(bytes: Vec<u8>, sha256: String) -> Input {
    let size = bytes.len() as u64;
    if bytes.is_empty() {
        return Input::Bad {
            error: IngestError::EmptyFile,
            sha256: Some(sha256),
            size,
        };
    }
    match sniff(&bytes) {
        Some(content_type) => Input::Good {
            bytes,
            sha256,
            content_type,
        },
        None => Input::Bad {
            error: IngestError::UnsupportedType,
            sha256: Some(sha256),
            size,
        },
    }
}

/// An upload given as bytes. Oversized input is rejected before it is hashed.
pub(crate) fn from_bytes(bytes: Vec<u8>, limits: &IngestLimits) -> Input {
    if let Some(bad) = too_large(bytes.len() as u64, limits) {
        return bad;
    }
    let sha = hex::encode(Sha256::digest(&bytes));
    classify(bytes, sha)
}

fn unreadable(e: impl std::fmt::Display) -> Input {
    Input::Bad {
        error: IngestError::UnreadableFile {
            reason: e.to_string(),
        },
        sha256: None,
        size: 0,
    }
}

/// An upload read from `path`, streaming: see the module documentation.
pub(crate) async fn from_path(path: &Path, limits: &IngestLimits) -> Input {
    // Metadata first: a directory, a FIFO or a device is refused before it is opened
    // (opening a FIFO would block), and an oversized file is never read.
    let meta = match tokio::fs::metadata(path).await {
        Ok(m) => m,
        Err(e) => return unreadable(e),
    };
    if !meta.is_file() {
        return unreadable("not a regular file");
    }
    if let Some(bad) = too_large(meta.len(), limits) {
        return bad;
    }
    let mut file = match tokio::fs::File::open(path).await {
        Ok(f) => f,
        Err(e) => return unreadable(e),
    };
    let expected = usize::try_from(meta.len()).unwrap_or(usize::MAX);
    let mut bytes = Vec::with_capacity(expected);
    let mut chunk = vec![0u8; CHUNK];
    let mut hasher = Sha256::new();
    loop {
        let n = match file.read(&mut chunk).await {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => return unreadable(e),
        };
        let size = (bytes.len() + n) as u64;
        if let Some(bad) = too_large(size, limits) {
            // The file grew past the limit while we read it.
            return bad;
        }
        hasher.update(&chunk[..n]);
        bytes.extend_from_slice(&chunk[..n]);
    }
    classify(bytes, hex::encode(hasher.finalize()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(i: &Input) -> Option<&'static str> {
        match i {
            Input::Good { .. } => None,
            Input::Bad { error, .. } => Some(error.code()),
        }
    }

    #[tokio::test]
    async fn path_and_bytes_agree() {
        let dir = std::env::temp_dir().join(format!("rf-input-{}", uuid::Uuid::now_v7()));
        std::fs::create_dir_all(&dir).unwrap();
        // Larger than one chunk and not a multiple of it, so the loop runs several times.
        let text = "Ana Lima, engineer\n".repeat(CHUNK / 7).into_bytes();
        let p = dir.join("cv.txt");
        std::fs::write(&p, &text).unwrap();
        let limits = IngestLimits::default();
        let (a, b) = (
            from_path(&p, &limits).await,
            from_bytes(text.clone(), &limits),
        );
        match (&a, &b) {
            (
                Input::Good {
                    bytes: x,
                    sha256: hx,
                    content_type: cx,
                },
                Input::Good {
                    bytes: y,
                    sha256: hy,
                    content_type: cy,
                },
            ) => {
                assert_eq!((x, hx, cx), (y, hy, cy));
                assert_eq!(*cx, ContentType::Text);
                assert_eq!(x.capacity(), text.len(), "one exact buffer");
            }
            _ => panic!("both good"),
        }
        let tiny = IngestLimits { max_file_bytes: 10 };
        assert_eq!(code(&from_path(&p, &tiny).await), Some("file_too_large"));
        assert_eq!(code(&from_bytes(text, &tiny)), Some("file_too_large"));
        std::fs::write(dir.join("empty"), b"").unwrap();
        let empty = from_path(&dir.join("empty"), &limits).await;
        assert_eq!(code(&empty), Some("empty_file"));
        match &empty {
            Input::Bad { sha256, size, .. } => {
                assert_eq!(*size, 0);
                assert_eq!(
                    sha256.as_deref(),
                    Some("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
                );
            }
            Input::Good { .. } => panic!("empty is bad"),
        }
        assert_eq!(
            code(&from_path(&dir, &limits).await),
            Some("unreadable_file")
        );
        assert_eq!(
            code(&from_path(&dir.join("missing"), &limits).await),
            Some("unreadable_file")
        );
        assert_eq!(
            code(&from_bytes(vec![0, 159, 146, 150], &limits)),
            Some("unsupported_type")
        );
        std::fs::remove_dir_all(dir).ok();
    }

    #[test]
    fn error_codes_are_stable() {
        assert_eq!(
            serde_json::to_value(IngestError::FileTooLarge { size: 2, limit: 1 }).unwrap(),
            serde_json::json!({"code": "file_too_large", "size": 2, "limit": 1})
        );
        assert_eq!(IngestError::EmptyFile.code(), "empty_file");
    }
}
