//! Ingest: input paths → normalized [`Document`]s.
//!
//! Input: paths (files or directories, optionally with a declared
//! [`InputRole`]). Output: [`InputFile`]s, each with its SHA-256 digest and
//! the documents found in it. Reading is by content, never by extension:
//! gzip is inflated, a UTF-8 byte-order mark is dropped, UTF-16 is decoded,
//! DSSE envelopes and in-toto Statements (cosign, Trivy attestations) are
//! unwrapped, and the format is detected from the text ([`detect`]).

pub mod cyclonedx;
pub mod detect;
pub mod feeds;
pub mod sarif;
pub mod spdx;
pub mod vex;

use crate::error::{Error, Result};
use crate::model::{Document, InputRole};
use detect::Detected;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::io::{Read, Seek};
use std::path::{Path, PathBuf};

/// A JSON string borrowed from the text it is parsed from when it has no
/// escapes (owned when it has).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) struct Txt<'a>(pub(crate) std::borrow::Cow<'a, str>);

impl std::borrow::Borrow<str> for Txt<'_> {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl std::ops::Deref for Txt<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        &self.0
    }
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for Txt<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = Txt<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a string")
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                v: &'de str,
            ) -> std::result::Result<Txt<'a>, E> {
                Ok(Txt(std::borrow::Cow::Borrowed(v)))
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> std::result::Result<Txt<'a>, E> {
                Ok(Txt(std::borrow::Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(
                self,
                v: String,
            ) -> std::result::Result<Txt<'a>, E> {
                Ok(Txt(std::borrow::Cow::Owned(v)))
            }
        }
        d.deserialize_str(V(std::marker::PhantomData))
    }
}

/// A path the user named, with the role they declared for it (if any).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    /// File or directory.
    pub path: PathBuf,
    /// `--sarif`, `--sbom` or `--vex`; `None` for positional inputs.
    pub role: Option<InputRole>,
}

/// One input file, read and normalized.
#[derive(Debug, Clone)]
pub struct InputFile {
    /// The path as given (or found when walking a directory).
    pub path: PathBuf,
    /// SHA-256 of the file's bytes as stored on disk, hex.
    pub sha256: String,
    /// Size in bytes on disk.
    pub size: u64,
    /// Documents in the file: one, or several for JSON lines of attestations.
    pub documents: Vec<Document>,
}

/// Files found under a directory that are not in a format fixops reads are
/// skipped with a warning rather than failing the run.
#[derive(Debug, Default)]
pub struct Ingested {
    /// Files read.
    pub files: Vec<InputFile>,
    /// Non-fatal notes (skipped files).
    pub warnings: Vec<String>,
}

/// Largest decoded input accepted (4 GiB), so that a runaway gzip stream or
/// a huge non-text file is refused rather than exhausting memory.
pub const MAX_INPUT_BYTES: u64 = 4 << 30;

/// Plain UTF-8 files from this size on are read as a stream when they are
/// SARIF logs (see [`sarif::parse_stream`]), else into a memory map of
/// their own (see [`read_mapped`]).
const MAP_MIN_BYTES: u64 = 1 << 20;

/// One file to read, after directories are expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The file.
    pub path: PathBuf,
    /// Declared role.
    pub role: Option<InputRole>,
    /// Found by walking a directory (unrecognized files are then skipped).
    pub from_dir: bool,
}

/// Expand directories (recursively, sorted, hidden entries skipped).
pub fn expand(specs: &[InputSpec]) -> Result<Vec<Planned>> {
    let mut out = Vec::new();
    for spec in specs {
        let meta = std::fs::metadata(&spec.path).map_err(|e| Error::Io {
            path: spec.path.clone(),
            source: e,
        })?;
        if meta.is_dir() {
            let mut files = Vec::new();
            walk(&spec.path, &mut files)?;
            if files.is_empty() {
                return Err(Error::input(
                    &spec.path,
                    "the directory holds no files; expected SARIF, SBOM or VEX files in it",
                ));
            }
            out.extend(files.into_iter().map(|path| Planned {
                path,
                role: spec.role,
                from_dir: true,
            }));
        } else {
            out.push(Planned {
                path: spec.path.clone(),
                role: spec.role,
                from_dir: false,
            });
        }
    }
    Ok(out)
}

/// Expand and read every input; the first unreadable or malformed file is the
/// error. Unrecognized files found by walking a directory are skipped with a
/// warning.
pub fn ingest_all(specs: &[InputSpec]) -> Result<Ingested> {
    let mut out = Ingested::default();
    for p in expand(specs)? {
        match read_file(&p.path, p.role) {
            Ok(file) => out.files.push(file),
            Err(Unrecognized(msg)) if p.from_dir => out.warnings.push(format!("skipped {msg}")),
            Err(Unrecognized(msg)) => {
                return Err(read_planned_error(&p.path, msg));
            }
            Err(Fatal(e)) => return Err(e),
        }
    }
    Ok(out)
}

fn read_planned_error(path: &Path, msg: String) -> Error {
    Error::Input {
        path: path.to_path_buf(),
        position: None,
        message: msg
            .strip_prefix(&format!("{}: ", path.display()))
            .unwrap_or(&msg)
            .to_string(),
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let io = |e| Error::Io {
        path: dir.to_path_buf(),
        source: e,
    };
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(io)?
        .collect::<std::result::Result<_, _>>()
        .map_err(io)?;
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        if e.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let p = e.path();
        let ft = e.file_type().map_err(io)?;
        if ft.is_dir() {
            walk(&p, out)?;
        } else if ft.is_file() || (ft.is_symlink() && p.is_file()) {
            out.push(p);
        }
    }
    Ok(())
}

/// Why a file could not be read.
pub enum ReadError {
    /// Not a format fixops reads (skipped inside directories).
    Unrecognized(String),
    /// Unreadable or malformed.
    Fatal(Error),
}
use ReadError::{Fatal, Unrecognized};

impl From<Error> for ReadError {
    fn from(e: Error) -> Self {
        Fatal(e)
    }
}

/// Read one file: digest, decode, detect, parse.
pub fn read_file(
    path: &Path,
    role: Option<InputRole>,
) -> std::result::Result<InputFile, ReadError> {
    let io = |e| Error::Io {
        path: path.to_path_buf(),
        source: e,
    };
    let mut f = std::fs::File::open(path).map_err(io)?;
    let size = f.metadata().map_err(io)?.len();
    // Sniff a prefix first so that a huge binary or sparse file is refused
    // without reading it all.
    let mut head = vec![0u8; 8192.min(size as usize).max(1)];
    let n = read_up_to(&mut f, &mut head).map_err(io)?;
    head.truncate(n);
    if head.is_empty() {
        return Err(Fatal(Error::input(
            path,
            "the file is empty; expected a SARIF, CycloneDX, SPDX or VEX document",
        )));
    }
    let gz = head.starts_with(&[0x1f, 0x8b]);
    if !gz && looks_binary(&head) {
        return Err(Unrecognized(format!(
            "{}: binary content (NUL or control bytes in the first {} bytes); expected a SARIF, CycloneDX, SPDX or VEX text document (gzip is also accepted)",
            path.display(),
            head.len()
        )));
    }
    if size > MAX_INPUT_BYTES {
        return Err(Fatal(Error::input(
            path,
            format!("the file is {size} bytes, over the {MAX_INPUT_BYTES}-byte input limit"),
        )));
    }
    let utf16 = head.starts_with(&[0xff, 0xfe])
        || head.starts_with(&[0xfe, 0xff])
        || utf16_guess(&head).is_some();
    // SARIF is read as a stream when it is gzip-compressed or large; any
    // other input, or a log the stream gives way on, is read whole (which
    // reports what is wrong with it and where).
    if gz || (!utf16 && size >= MAP_MIN_BYTES && head_is_sarif(&head)) {
        if let Some(file) = stream_sarif(path, &mut f, &head, size, gz, role)? {
            return Ok(file);
        }
        f.seek(std::io::SeekFrom::Start(head.len() as u64))
            .map_err(io)?;
    }
    let head = if !gz && !utf16 && size >= MAP_MIN_BYTES {
        match read_mapped(&mut f, head, size).map_err(io)? {
            Mapped::Whole(map, n) => {
                let bytes = &map[..n];
                let had_bom = bytes.starts_with(BOM);
                let text = utf8_text(path, &bytes[if had_bom { BOM.len() } else { 0 }..])?;
                let (documents, sha256) = parse_and_digest(path, text, had_bom, None, role);
                // Unmapped here, before the caller goes on.
                drop(map);
                return Ok(InputFile {
                    path: path.to_path_buf(),
                    sha256,
                    size,
                    documents: documents?,
                });
            }
            Mapped::Partial(bytes) => bytes,
        }
    } else {
        head
    };
    let mut bytes = head;
    bytes.reserve(size as usize - bytes.len().min(size as usize));
    f.read_to_end(&mut bytes).map_err(io)?;
    // Plain UTF-8 (the common case) is hashed from the decoded text on a
    // second core while it is parsed; other encodings are hashed first.
    let had_bom = bytes.starts_with(BOM);
    let early_sha = (gz || utf16).then(|| hex::encode(Sha256::digest(&bytes)));
    if gz {
        bytes = gunzip(path, &bytes)?;
        if bytes.is_empty() {
            return Err(Fatal(Error::input(
                path,
                "the gzip stream decompresses to nothing; expected a document inside",
            )));
        }
        if looks_binary(&bytes[..bytes.len().min(8192)]) {
            return Err(Unrecognized(format!(
                "{}: gzip content is binary; expected a SARIF, CycloneDX, SPDX or VEX text document",
                path.display()
            )));
        }
    }
    let text = decode_text(path, bytes)?;
    let (documents, sha256) = parse_and_digest(path, &text, had_bom, early_sha, role);
    Ok(InputFile {
        path: path.to_path_buf(),
        sha256,
        size,
        documents: documents?,
    })
}

/// The UTF-8 byte-order mark.
const BOM: &[u8] = &[0xef, 0xbb, 0xbf];

/// Parse decoded text; unless the digest is already known, hash it (with
/// the BOM it was read with) on a second core meanwhile.
fn parse_and_digest(
    path: &Path,
    text: &str,
    had_bom: bool,
    early_sha: Option<String>,
    role: Option<InputRole>,
) -> (std::result::Result<Vec<Document>, ReadError>, String) {
    std::thread::scope(|scope| {
        let hasher = early_sha.is_none().then(|| {
            crate::task::Task::start(scope, "fixops-sha256", || {
                let mut h = Sha256::new();
                if had_bom {
                    h.update(BOM);
                }
                h.update(text.as_bytes());
                hex::encode(h.finalize())
            })
        });
        let documents = parse_text(path, text, role, 0);
        let sha = match hasher {
            Some(h) => h.join().unwrap_or_default(),
            None => early_sha.unwrap_or_default(),
        };
        (documents, sha)
    })
}

/// A source read on a thread of its own, a few blocks ahead of the thread
/// that parses, and digested (SHA-256) as it is read: the parsing thread
/// neither waits for reads nor hashes, and takes each byte with one copy.
/// The reading thread reads the source to its end whatever is taken, so
/// that the digest is always of every byte (see [`ReadAhead::finish`]).
struct ReadAhead {
    /// Blocks read, in order, each with how many of its bytes are data; a
    /// read error ends the stream, and so does the end of the source.
    rx: std::sync::mpsc::Receiver<std::io::Result<(Vec<u8>, usize)>>,
    /// Emptied blocks, back to be filled again: a few serve the whole file.
    back: std::sync::mpsc::Sender<Vec<u8>>,
    block: Vec<u8>,
    /// Data bytes in `block`, and how many of them were taken.
    len: usize,
    at: usize,
    /// The stream ended: at the source's end, or at a read error.
    ended: bool,
}

/// What [`ReadAhead`]'s thread ends with: the digest, unless a read failed
/// or the parsing side stopped taking blocks before the end.
type Digested = Option<Sha256>;

impl ReadAhead {
    /// Bytes per block, and blocks read ahead of the parse.
    const BLOCK: usize = 1 << 18;
    const AHEAD: usize = 4;

    /// Start reading `src` on a thread of `scope`; an error when no thread
    /// can be started.
    fn start<'scope, R: Read + Send + 'scope>(
        scope: &'scope std::thread::Scope<'scope, '_>,
        mut src: R,
    ) -> std::io::Result<(ReadAhead, std::thread::ScopedJoinHandle<'scope, Digested>)> {
        let (tx, rx) = std::sync::mpsc::sync_channel(Self::AHEAD);
        let (back, back_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let thread = std::thread::Builder::new().name("fixops-read".into());
        let worker = thread.spawn_scoped(scope, move || {
            let mut h = Sha256::new();
            loop {
                let mut block = back_rx.try_recv().unwrap_or_default();
                // Blocks keep their length: bytes past the data are stale, never zeroed again.
                block.resize(Self::BLOCK, 0);
                let mut n = 0;
                while n < block.len() {
                    match src.read(&mut block[n..]) {
                        Ok(0) => break,
                        Ok(k) => n += k,
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(e) => {
                            let _ = tx.send(Err(e));
                            return None;
                        }
                    }
                }
                if n == 0 {
                    return Some(h);
                }
                h.update(&block[..n]);
                // The parsing side stopped: what is left is not digested.
                tx.send(Ok((block, n))).ok()?;
            }
        })?;
        let ahead = ReadAhead {
            rx,
            back,
            block: Vec::new(),
            len: 0,
            at: 0,
            ended: false,
        };
        Ok((ahead, worker))
    }

    /// Take what is left of the stream, and the digest of every byte of the
    /// source as lowercase hex; `None` if a read failed.
    fn finish(self, worker: std::thread::ScopedJoinHandle<'_, Digested>) -> Option<String> {
        while let Ok(block) = self.rx.recv() {
            let (block, _) = block.ok()?;
            let _ = self.back.send(block);
        }
        let hash = worker.join().ok()??;
        Some(hex::encode(hash.finalize()))
    }
}

impl std::io::BufRead for ReadAhead {
    fn fill_buf(&mut self) -> std::io::Result<&[u8]> {
        if self.at == self.len && !self.ended {
            match self.rx.recv() {
                Ok(Ok((block, len))) => {
                    let spent = std::mem::replace(&mut self.block, block);
                    if spent.capacity() > 0 {
                        // The reading thread may be done: then the block is freed.
                        let _ = self.back.send(spent);
                    }
                    (self.len, self.at) = (len, 0);
                }
                Ok(Err(e)) => {
                    self.ended = true;
                    return Err(e);
                }
                Err(_) => self.ended = true,
            }
        }
        Ok(&self.block[self.at..self.len])
    }

    fn consume(&mut self, n: usize) {
        self.at = (self.at + n).min(self.len);
    }
}

impl Read for ReadAhead {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let data = std::io::BufRead::fill_buf(self)?;
        let n = data.len().min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        std::io::BufRead::consume(self, n);
        Ok(n)
    }
}

/// A SARIF log (whose first bytes on disk are `head`), gzip-compressed
/// when `gz`, read as a stream: inflated and parsed piece by piece, never
/// held whole, and digested as the bytes on disk. `None` when it is not one
/// the stream reads (not SARIF inside, a corrupt or oversized gzip stream,
/// a read error, anything [`sarif::parse_stream`] gives way on): the caller
/// then reads it whole.
fn stream_sarif(
    path: &Path,
    f: &mut std::fs::File,
    head: &[u8],
    size: u64,
    gz: bool,
    role: Option<InputRole>,
) -> std::result::Result<Option<InputFile>, ReadError> {
    let read = sarif::READ_BYTES;
    let raw = std::io::Cursor::new(head).chain(&mut *f);
    let read_through = std::thread::scope(|scope| {
        // Without a thread to read ahead, the log is read whole.
        let (mut ahead, worker) = ReadAhead::start(scope, raw).ok()?;
        let doc = if gz {
            let mut inflated =
                flate2::bufread::MultiGzDecoder::new(&mut ahead).take(MAX_INPUT_BYTES + 1);
            let mut first = vec![0u8; 8192];
            let Ok(n) = read_up_to(&mut inflated, &mut first) else {
                return None;
            };
            first.truncate(n);
            if !head_is_sarif(&first) {
                return None;
            }
            // Compressed JSON is typically a fifth to a tenth of its size.
            let mut src =
                std::io::BufReader::with_capacity(read, first.as_slice().chain(&mut inflated));
            let doc = sarif::parse_stream(path, &mut src, size.saturating_mul(5), read);
            drop(src);
            if inflated.limit() == 0 {
                return None;
            }
            doc
        } else {
            sarif::parse_stream(path, &mut ahead, size, read)
        };
        let doc = doc.ok()??;
        // The digest is of every byte on disk, also those the inflater left.
        Some((doc, ahead.finish(worker)?))
    });
    let Some((doc, sha256)) = read_through else {
        return Ok(None);
    };
    check_role(path, &doc, role)?;
    Ok(Some(InputFile {
        path: path.to_path_buf(),
        sha256,
        size,
        documents: vec![doc],
    }))
}

/// Whether a file's first bytes are those of a SARIF log (a large one is
/// then read as a stream, see [`sarif::parse_stream`]).
fn head_is_sarif(head: &[u8]) -> bool {
    let head = head.strip_prefix(BOM).unwrap_or(head);
    let text = match std::str::from_utf8(head) {
        Ok(t) => t,
        // Cut inside a character, or not UTF-8 at all (the whole read says which).
        Err(e) => std::str::from_utf8(&head[..e.valid_up_to()]).unwrap_or_default(),
    };
    detect::detect(text) == Ok(Detected::Sarif)
}

/// A file read by [`read_mapped`].
enum Mapped {
    /// The whole file, in the first `usize` bytes of the map.
    Whole(memmap2::MmapMut, usize),
    /// The file grew while it was read (or maps are unavailable): what was
    /// read so far, for the caller to read the rest after.
    Partial(Vec<u8>),
}

/// Read a large file (whose first bytes are `head`) into an anonymous
/// memory map of its own rather than the heap. Its pages leave the process
/// the moment the map is dropped after parsing: freed to the allocator, a
/// 100 MB text stays resident for a while (it is returned lazily) while the
/// next stages allocate their own memory, and that overlap was the peak of
/// a large `decide`.
fn read_mapped(f: &mut std::fs::File, head: Vec<u8>, size: u64) -> std::io::Result<Mapped> {
    // One byte more than the size tells a file that grew meanwhile.
    let Ok(mut map) = memmap2::MmapMut::map_anon(size as usize + 1) else {
        return Ok(Mapped::Partial(head));
    };
    map[..head.len()].copy_from_slice(&head);
    let n = head.len() + read_up_to(f, &mut map[head.len()..])?;
    if n as u64 > size {
        return Ok(Mapped::Partial(map[..n].to_vec()));
    }
    Ok(Mapped::Whole(map, n))
}

fn read_up_to(f: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

fn looks_binary(head: &[u8]) -> bool {
    // UTF-16 text has NULs in every other byte; it starts with a BOM or with
    // an ASCII character next to a NUL.
    if head.starts_with(&[0xff, 0xfe])
        || head.starts_with(&[0xfe, 0xff])
        || utf16_guess(head).is_some()
    {
        return false;
    }
    head.iter()
        .any(|&b| b == 0 || (b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c)))
}

fn utf16_guess(b: &[u8]) -> Option<bool> {
    if b.len() >= 4 && b[0] != 0 && b[1] == 0 && b[2] != 0 && b[3] == 0 {
        Some(true) // little endian
    } else if b.len() >= 4 && b[0] == 0 && b[1] != 0 && b[2] == 0 && b[3] != 0 {
        Some(false)
    } else {
        None
    }
}

fn gunzip(path: &Path, bytes: &[u8]) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(bytes.len() * 4);
    let dec = flate2::read::MultiGzDecoder::new(bytes);
    dec.take(MAX_INPUT_BYTES + 1)
        .read_to_end(&mut out)
        .map_err(|e| Error::input(path, format!("corrupt or truncated gzip stream: {e}")))?;
    if out.len() as u64 > MAX_INPUT_BYTES {
        return Err(Error::input(
            path,
            "the gzip stream inflates past the 4 GiB input limit",
        ));
    }
    Ok(out)
}

/// Decode bytes to text: UTF-8 (BOM dropped) or UTF-16 (BOM or guessed).
pub fn decode_text(path: &Path, mut bytes: Vec<u8>) -> Result<String> {
    let utf16 = if bytes.starts_with(&[0xff, 0xfe]) {
        Some((true, 2))
    } else if bytes.starts_with(&[0xfe, 0xff]) {
        Some((false, 2))
    } else {
        utf16_guess(&bytes).map(|le| (le, 0))
    };
    if let Some((le, skip)) = utf16 {
        let body = &bytes[skip..];
        if !body.len().is_multiple_of(2) {
            return Err(Error::input(
                path,
                "UTF-16 text with an odd number of bytes (truncated?)",
            ));
        }
        let units: Vec<u16> = body
            .chunks_exact(2)
            .map(|c| {
                if le {
                    u16::from_le_bytes([c[0], c[1]])
                } else {
                    u16::from_be_bytes([c[0], c[1]])
                }
            })
            .collect();
        return String::from_utf16(&units)
            .map_err(|_| Error::input(path, "invalid UTF-16 text (unpaired surrogate)"));
    }
    if bytes.starts_with(BOM) {
        bytes.drain(..BOM.len());
    }
    match String::from_utf8(bytes) {
        Ok(s) => Ok(s),
        Err(e) => Err(utf8_error(path, e.as_bytes(), e.utf8_error())),
    }
}

/// `bytes` as UTF-8 text (no BOM), borrowed.
fn utf8_text<'a>(path: &Path, bytes: &'a [u8]) -> Result<&'a str> {
    std::str::from_utf8(bytes).map_err(|e| utf8_error(path, bytes, e))
}

fn utf8_error(path: &Path, b: &[u8], e: std::str::Utf8Error) -> Error {
    let at = e.valid_up_to();
    let line = b[..at].iter().filter(|&&c| c == b'\n').count() + 1;
    let col = at
        - b[..at]
            .iter()
            .rposition(|&c| c == b'\n')
            .map_or(0, |p| p + 1)
        + 1;
    Error::at_line(
        path,
        line,
        col,
        format!("invalid UTF-8 at byte offset {at}; expected UTF-8 or UTF-16 text"),
    )
}

/// Parse decoded text into documents. `depth` bounds envelope nesting.
pub fn parse_text(
    path: &Path,
    text: &str,
    role: Option<InputRole>,
    depth: u8,
) -> std::result::Result<Vec<Document>, ReadError> {
    let detected = detect::detect(text).map_err(|seen| {
        Unrecognized(format!(
            "{}: unrecognized input format: found {seen}; expected SARIF 2.1.0, CycloneDX (JSON or XML), SPDX 2.x (JSON, tag-value, YAML, XML, RDF), SPDX 3 JSON-LD, OpenVEX, CSAF, or a DSSE/in-toto attestation of one of them",
            path.display()
        ))
    })?;
    if depth > 3
        && matches!(
            detected,
            Detected::Dsse | Detected::InToto | Detected::JsonLines
        )
    {
        return Err(Fatal(Error::input(
            path,
            "attestations nested more than 3 deep",
        )));
    }
    let doc = match detected {
        Detected::Sarif => sarif::parse(path, text)?,
        Detected::CyclonedxJson => cyclonedx::parse_json(path, text)?,
        Detected::CyclonedxXml => cyclonedx::parse_xml(path, text)?,
        Detected::SpdxJson => spdx::parse_json(path, text)?,
        Detected::SpdxTagValue => spdx::parse_tag_value(path, text)?,
        Detected::SpdxYaml => spdx::parse_json_as(
            path,
            &yaml_to_json(path, text)?,
            crate::model::Format::SpdxYaml,
        )?,
        Detected::SpdxXml => spdx::parse_xml(path, text)?,
        Detected::SpdxRdf => spdx::parse_rdf(path, text)?,
        Detected::Spdx3 => spdx::parse_v3(path, text)?,
        Detected::OpenvexJson => vex::parse_openvex(path, text)?,
        Detected::OpenvexYaml => vex::parse_openvex(path, &yaml_to_json(path, text)?)?,
        Detected::Csaf => vex::parse_csaf(path, text)?,
        Detected::Dsse => return unwrap_dsse(path, text, role, depth),
        Detected::InToto => return unwrap_statement(path, text, role, depth),
        Detected::JsonLines => return parse_json_lines(path, text, role, depth),
    };
    check_role(path, &doc, role)?;
    Ok(vec![doc])
}

fn check_role(path: &Path, doc: &Document, role: Option<InputRole>) -> Result<()> {
    match role {
        Some(r) if r != doc.format.role() => Err(Error::input(
            path,
            format!(
                "given as --{} but the content is {} ({}); pass it positionally or with --{}",
                role_flag(r),
                doc.format.as_str(),
                role_flag(doc.format.role()),
                role_flag(doc.format.role())
            ),
        )),
        _ => Ok(()),
    }
}

fn role_flag(r: InputRole) -> &'static str {
    match r {
        InputRole::Sarif => "sarif",
        InputRole::Sbom => "sbom",
        InputRole::Vex => "vex",
    }
}

fn yaml_to_json(path: &Path, text: &str) -> Result<String> {
    let v: serde_json::Value = yaml_serde::from_str(text).map_err(|e| match e.location() {
        Some(l) => Error::at_line(path, l.line(), l.column(), format!("invalid YAML: {e}")),
        None => Error::input(path, format!("invalid YAML: {e}")),
    })?;
    serde_json::to_string(&v)
        .map_err(|e| Error::input(path, format!("YAML value not representable as JSON: {e}")))
}

#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "payloadType")]
    payload_type: String,
    payload: String,
}

fn unwrap_dsse(
    path: &Path,
    text: &str,
    role: Option<InputRole>,
    depth: u8,
) -> std::result::Result<Vec<Document>, ReadError> {
    use base64::Engine;
    let env: Envelope = crate::error::from_json(path, text, "DSSE envelope")?;
    let raw = base64::engine::general_purpose::STANDARD
        .decode(env.payload.trim())
        .or_else(|_| base64::engine::general_purpose::URL_SAFE.decode(env.payload.trim()))
        .map_err(|e| Error::at_pointer(path, "/payload", format!("payload is not base64: {e}")))?;
    let inner = String::from_utf8(raw)
        .map_err(|_| Error::at_pointer(path, "/payload", "payload is not UTF-8 text"))?;
    if !env.payload_type.contains("in-toto") && !env.payload_type.contains("json") {
        return Err(Fatal(Error::at_pointer(
            path,
            "/payloadType",
            format!(
                "payload type {:?}; expected application/vnd.in-toto+json",
                env.payload_type
            ),
        )));
    }
    parse_text(path, &inner, role, depth + 1)
}

#[derive(Deserialize)]
struct Statement {
    #[serde(rename = "predicateType", default)]
    predicate_type: String,
    predicate: serde_json::Value,
}

fn unwrap_statement(
    path: &Path,
    text: &str,
    role: Option<InputRole>,
    depth: u8,
) -> std::result::Result<Vec<Document>, ReadError> {
    let st: Statement = crate::error::from_json(path, text, "in-toto Statement")?;
    // cosign's legacy CycloneDX/SPDX predicates wrap the document as
    // {"Data": <document or string>, "Timestamp": ...}.
    let body = match &st.predicate {
        serde_json::Value::Object(m) if m.contains_key("Data") && !m.contains_key("bomFormat") => {
            &m["Data"]
        }
        v => v,
    };
    let inner = match body {
        serde_json::Value::String(s) => s.clone(),
        v @ serde_json::Value::Object(_) => v.to_string(),
        _ => {
            return Err(Fatal(Error::at_pointer(
                path,
                "/predicate",
                format!(
                    "predicate of type {:?} is not a document; expected a CycloneDX, SPDX or OpenVEX predicate",
                    st.predicate_type
                ),
            )));
        }
    };
    parse_text(path, &inner, role, depth + 1).map_err(|e| match e {
        Unrecognized(m) => Fatal(Error::at_pointer(
            path,
            "/predicate",
            format!(
                "predicate type {:?} holds no document fixops reads ({m})",
                st.predicate_type
            ),
        )),
        f => f,
    })
}

fn parse_json_lines(
    path: &Path,
    text: &str,
    role: Option<InputRole>,
    depth: u8,
) -> std::result::Result<Vec<Document>, ReadError> {
    let mut docs = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let sub = parse_text(path, line, role, depth + 1).map_err(|e| match e {
            Fatal(Error::Input {
                path,
                position,
                message,
            }) => Fatal(Error::Input {
                path,
                position,
                message: format!("JSON line {}: {message}", i + 1),
            }),
            Unrecognized(m) => Fatal(Error::at_line(
                path,
                i + 1,
                1,
                format!("JSON line {}: {m}", i + 1),
            )),
            other => other,
        })?;
        docs.extend(sub);
    }
    Ok(docs)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A source that gives its bytes in uneven pieces, then fails if told to.
    struct Uneven<'a> {
        data: &'a [u8],
        piece: usize,
        fail_at_end: bool,
    }

    impl Read for Uneven<'_> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            if self.data.is_empty() && self.fail_at_end {
                return Err(std::io::Error::other("disk on fire"));
            }
            let n = self.piece.min(buf.len()).min(self.data.len());
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            self.piece = self.piece % 97_777 + 13_001;
            Ok(n)
        }
    }

    /// Read `data` ahead, taking `take` bytes through `read` (in pieces of
    /// 4099 bytes), then finish: the bytes taken and the digest.
    fn read_ahead(data: &[u8], take: usize, fail: bool) -> (Vec<u8>, Option<String>) {
        std::thread::scope(|scope| {
            let src = Uneven {
                data,
                piece: 1,
                fail_at_end: fail,
            };
            let (mut ahead, worker) = ReadAhead::start(scope, src).unwrap();
            let mut got = Vec::new();
            let mut piece = vec![0u8; 4099];
            while got.len() < take {
                let want = piece.len().min(take - got.len());
                match ahead.read(&mut piece[..want]) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => got.extend_from_slice(&piece[..n]),
                }
            }
            (got, ahead.finish(worker))
        })
    }

    #[test]
    fn a_source_read_ahead_gives_its_bytes_in_order_and_their_digest() {
        let data: Vec<u8> = (0..3 * ReadAhead::BLOCK + 12345)
            .map(|i| (i * 31 % 251) as u8)
            .collect();
        let digest = |d: &[u8]| Some(hex::encode(Sha256::digest(d)));
        // Everything, in order.
        let (got, sha) = read_ahead(&data, usize::MAX, false);
        assert!(got == data, "{} bytes of {}", got.len(), data.len());
        assert_eq!(sha, digest(&data));
        // Only the start taken: the digest is still of every byte.
        let (got, sha) = read_ahead(&data, 5000, false);
        assert_eq!(got, data[..5000]);
        assert_eq!(sha, digest(&data));
        // An empty source.
        assert_eq!(read_ahead(b"", usize::MAX, false), (vec![], digest(b"")));
        // A read that fails: the bytes before it (less the block it cut
        // short), and no digest, whether the failure was taken or not.
        let (got, sha) = read_ahead(&data, usize::MAX, true);
        assert!(data.starts_with(&got) && got.len() >= 3 * ReadAhead::BLOCK);
        assert_eq!(sha, None);
        assert_eq!(read_ahead(&data, 10, true).1, None);
    }
}
