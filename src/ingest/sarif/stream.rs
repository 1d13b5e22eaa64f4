//! A large SARIF log read as a stream: the text is never held whole.
//!
//! The reading thread splits the bytes as they come, following only the
//! log's outline (`{ … "runs": [ { … "results": [ … ] … } ] … }`), into
//! pieces: each result, each other member of a run, each other member of
//! the log. It checks that each piece is UTF-8, copies it into a batch, and
//! parses the batch's pieces with the same borrowing serde types as
//! [`parse`](super::parse) into the events that a second thread builds
//! findings from (the batch text travels with the events borrowed from it).
//! What is resident at once is the findings plus a few batches, not the
//! text plus the findings.
//!
//! This path only reads valid logs. At the first thing it does not expect
//! (a syntax error, a wrong type, a repeated run member, another SARIF
//! version, `runs` or `results` neither an array nor null) it gives up, and
//! the caller reads the file whole with [`parse`](super::parse), which
//! reports the problem with its position. Either way a log gives the same
//! [`Document`]; the tests compare both paths over every SARIF file of the
//! corpus, with reads as short as one byte.

use super::{Builder, Event, Part, PartSeed, RawResult, RunCtx, SARIF_VERSION};
use crate::ingest::Txt;
use crate::model::Document;
use serde::de::{DeserializeSeed, IgnoredAny};
use std::io::Read;
use std::path::Path;

/// Bytes asked of the reader at a time.
pub(crate) const READ_BYTES: usize = 1 << 20;

/// Pieces, and piece bytes, per hand-over to the building thread.
const BATCH_PIECES: usize = 1024;
const BATCH_BYTES: usize = 1 << 20;
/// Hand-overs queued before the reading thread waits.
const QUEUED: usize = 4;

/// What a piece of the log is.
#[derive(Clone, Copy, Debug)]
enum Piece {
    /// A run object starts (its index); no bytes.
    RunStart(usize),
    /// The run object ends; no bytes.
    RunEnd,
    /// A run member that results depend on.
    Part(Part),
    /// One element of a run's `results`.
    Result,
    /// Any other member, of the log or of a run: checked, then skipped.
    Other,
}

/// Pieces being gathered: their text, and where each one is in it.
#[derive(Default)]
struct Batch {
    text: String,
    pieces: Vec<(Piece, usize, usize)>,
}

type Events<'a> = Vec<Event<'a>>;

self_cell::self_cell!(
    /// A batch's text and the events parsed from it, handed over together.
    struct Parsed {
        owner: String,
        #[covariant]
        dependent: Events,
    }
);

/// Parse a batch's pieces into events (`Other` pieces are checked, then
/// dropped).
fn parse_pieces<'a>(text: &'a str, pieces: &[(Piece, usize, usize)]) -> Option<Events<'a>> {
    let mut events = Vec::with_capacity(pieces.len());
    for &(piece, start, end) in pieces {
        let text = text.get(start..end)?;
        events.push(match piece {
            Piece::RunStart(index) => Event::RunStart(index),
            Piece::RunEnd => Event::RunEnd,
            Piece::Part(part) => {
                let mut de = serde_json::Deserializer::from_str(text);
                let event = PartSeed(part).deserialize(&mut de).ok()?;
                de.end().ok()?;
                event
            }
            Piece::Result => {
                let mut raw = serde_json::from_str::<RawResult<'_>>(text).ok()?;
                raw.prepare();
                Event::Result(raw)
            }
            Piece::Other => {
                serde_json::from_str::<IgnoredAny>(text).ok()?;
                continue;
            }
        });
    }
    Some(events)
}

/// Why the split stopped before the end of the log.
enum Stop {
    /// Not a log this path reads (or the building thread stopped): read
    /// it whole instead.
    Unexpected,
    /// Reading failed.
    Io(std::io::Error),
}

impl From<std::io::Error> for Stop {
    fn from(e: std::io::Error) -> Stop {
        Stop::Io(e)
    }
}

type Split<T = ()> = std::result::Result<T, Stop>;

/// Read a SARIF log from `src` into its [`Document`]. `size_hint` is the
/// log's size, or an estimate of it. (The caller digests the bytes it
/// reads, compressed or not.)
///
/// `Ok(None)` when the log is not one this path reads (see the module
/// documentation): the caller reads it whole. `read_bytes` is the size of
/// each read (tests make it tiny).
pub(crate) fn parse_stream(
    path: &Path,
    src: &mut dyn Read,
    size_hint: u64,
    read_bytes: usize,
) -> std::io::Result<Option<Document>> {
    let (split, built) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Parsed>(QUEUED);
        // Batch texts go back, emptied, to be filled again: a few buffers
        // serve the whole log, and none is freed on the other thread.
        let (back_tx, back_rx) = std::sync::mpsc::channel::<String>();
        let worker = scope.spawn(move || build(rx, back_tx, size_hint));
        let mut s = Splitter::new(src, read_bytes.max(1), tx, back_rx);
        let split = s.log().and_then(|()| s.flush());
        let version = s.version.take();
        drop(s);
        (split.map(|()| version), worker.join())
    });
    let version = match split {
        Ok(done) => done,
        Err(Stop::Io(e)) => return Err(e),
        Err(Stop::Unexpected) => return Ok(None),
    };
    let Ok(mut b) = built else {
        return Ok(None);
    };
    if version.is_none() {
        return Ok(None);
    }
    b.version = version;
    Ok(b.finish(path).ok())
}

/// The building thread: events → findings.
fn build(
    rx: std::sync::mpsc::Receiver<Parsed>,
    back: std::sync::mpsc::Sender<String>,
    size_hint: u64,
) -> Builder {
    let mut b = Builder::default();
    // As in [`parse`](super::parse): capacity never written is never resident.
    b.findings
        .reserve(usize::try_from(size_hint).unwrap_or(0) / super::RESULT_BYTES_LOW);
    let mut run: Option<RunCtx> = None;
    for mut parsed in rx {
        parsed.with_dependent_mut(|_, events| {
            for event in events.drain(..) {
                b.handle(&mut run, event);
            }
        });
        let mut text = parsed.into_owner();
        text.clear();
        // The reading thread may have finished: then the text is dropped.
        let _ = back.send(text);
    }
    b
}

/// The first `"` or `\\` in `hay`. Most strings of a log are short (keys,
/// levels, ids): a plain loop finds their end sooner than setting up a
/// vectorized search, which takes over for longer ones.
fn quote_or_backslash(hay: &[u8]) -> Option<usize> {
    const SHORT: usize = 32;
    let head = &hay[..hay.len().min(SHORT)];
    match head.iter().position(|&b| b == b'"' || b == b'\\') {
        Some(i) => Some(i),
        None if hay.len() > SHORT => memchr::memchr2(b'"', b'\\', &hay[SHORT..]).map(|i| i + SHORT),
        None => None,
    }
}

/// The reading thread: bytes → pieces, following the log's outline, and
/// pieces → events, a batch at a time.
struct Splitter<'a> {
    src: &'a mut dyn Read,
    /// Bytes read and not yet let go: `buf[..len]`.
    buf: Vec<u8>,
    len: usize,
    /// Next byte to look at.
    pos: usize,
    /// Start of the piece being read (kept across reads), if any.
    mark: Option<usize>,
    read_bytes: usize,
    eof: bool,
    tx: std::sync::mpsc::SyncSender<Parsed>,
    back: std::sync::mpsc::Receiver<String>,
    batch: Batch,
    runs: usize,
    version: Option<String>,
}

impl<'a> Splitter<'a> {
    fn new(
        src: &'a mut dyn Read,
        read_bytes: usize,
        tx: std::sync::mpsc::SyncSender<Parsed>,
        back: std::sync::mpsc::Receiver<String>,
    ) -> Self {
        Splitter {
            src,
            buf: vec![0; read_bytes],
            len: 0,
            pos: 0,
            mark: None,
            read_bytes,
            eof: false,
            tx,
            back,
            batch: Batch::default(),
            runs: 0,
            version: None,
        }
    }

    /// Read more bytes; false at the end of the input. Bytes before the
    /// position (or the piece being read) are let go first.
    fn fill(&mut self) -> Split<bool> {
        if self.eof {
            return Ok(false);
        }
        let keep = self.mark.unwrap_or(self.pos).min(self.pos);
        if keep > 0 {
            self.buf.copy_within(keep..self.len, 0);
            self.len -= keep;
            self.pos -= keep;
            if let Some(m) = &mut self.mark {
                *m -= keep;
            }
        }
        if self.buf.len() - self.len < self.read_bytes {
            let want = (self.len + self.read_bytes).max(self.buf.len() * 2);
            self.buf.resize(want, 0);
        }
        let end = self.len + self.read_bytes;
        let n = loop {
            match self.src.read(&mut self.buf[self.len..end]) {
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e.into()),
            }
        };
        if n == 0 {
            self.eof = true;
            return Ok(false);
        }
        self.len += n;
        Ok(true)
    }

    /// The next byte that is not JSON whitespace, not consumed; `None` at
    /// the end of the input.
    fn peek(&mut self) -> Split<Option<u8>> {
        loop {
            while self.pos < self.len {
                match self.buf[self.pos] {
                    b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                    b => return Ok(Some(b)),
                }
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Consume `want` as the next byte that is not whitespace.
    fn expect(&mut self, want: u8) -> Split {
        if self.peek()? != Some(want) {
            return Err(Stop::Unexpected);
        }
        self.pos += 1;
        Ok(())
    }

    /// Move past a string whose opening quote was consumed.
    fn skip_string(&mut self) -> Split {
        loop {
            match quote_or_backslash(&self.buf[self.pos..self.len]) {
                Some(i) => {
                    self.pos += i + 1;
                    if self.buf[self.pos - 1] == b'"' {
                        return Ok(());
                    }
                    // A backslash: the byte after it is escaped.
                    if self.pos == self.len && !self.fill()? {
                        return Err(Stop::Unexpected);
                    }
                    self.pos += 1;
                }
                None => {
                    self.pos = self.len;
                    if !self.fill()? {
                        return Err(Stop::Unexpected);
                    }
                }
            }
        }
    }

    /// Move past one JSON value starting at the next byte (not whitespace).
    /// Only brackets and strings are followed; the piece's parse checks the
    /// rest.
    fn skip_value(&mut self) -> Split {
        let Some(first) = self.peek()? else {
            return Err(Stop::Unexpected);
        };
        self.pos += 1;
        match first {
            b'"' => self.skip_string(),
            b'{' | b'[' => {
                let mut depth = 1usize;
                loop {
                    while self.pos < self.len {
                        let b = self.buf[self.pos];
                        self.pos += 1;
                        match b {
                            b'"' => self.skip_string()?,
                            b'{' | b'[' => depth += 1,
                            b'}' | b']' => {
                                depth -= 1;
                                if depth == 0 {
                                    return Ok(());
                                }
                            }
                            _ => {}
                        }
                    }
                    if !self.fill()? {
                        return Err(Stop::Unexpected);
                    }
                }
            }
            b'}' | b']' | b',' | b':' => Err(Stop::Unexpected),
            _ => loop {
                // A number or a literal: up to the next delimiter.
                while self.pos < self.len {
                    match self.buf[self.pos] {
                        b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r' => return Ok(()),
                        _ => self.pos += 1,
                    }
                }
                if !self.fill()? {
                    return Ok(());
                }
            },
        }
    }

    /// The next value, as its text (checked to be UTF-8).
    fn value_text(&mut self) -> Split<&str> {
        self.peek()?;
        self.mark = Some(self.pos);
        let skipped = self.skip_value();
        let start = self.mark.take().unwrap_or(self.pos);
        skipped?;
        std::str::from_utf8(&self.buf[start..self.pos]).map_err(|_| Stop::Unexpected)
    }

    /// The next value, as a piece of the current batch.
    fn piece(&mut self, piece: Piece) -> Split {
        self.peek()?;
        self.mark = Some(self.pos);
        let skipped = self.skip_value();
        let start = self.mark.take().unwrap_or(self.pos);
        skipped?;
        let text = std::str::from_utf8(&self.buf[start..self.pos]).map_err(|_| Stop::Unexpected)?;
        let at = self.batch.text.len();
        self.batch.text.push_str(text);
        self.batch.pieces.push((piece, at, self.batch.text.len()));
        if self.batch.pieces.len() >= BATCH_PIECES || self.batch.text.len() >= BATCH_BYTES {
            self.flush()?;
        }
        Ok(())
    }

    /// A piece without bytes.
    fn mark_piece(&mut self, piece: Piece) {
        let at = self.batch.text.len();
        self.batch.pieces.push((piece, at, at));
    }

    /// Parse the batch and hand it over.
    fn flush(&mut self) -> Split {
        if self.batch.pieces.is_empty() {
            return Ok(());
        }
        let next = self.back.try_recv().unwrap_or_default();
        let text = std::mem::replace(&mut self.batch.text, next);
        let pieces = &self.batch.pieces;
        let parsed = Parsed::try_new(text, |t| parse_pieces(t, pieces).ok_or(()))
            .map_err(|()| Stop::Unexpected)?;
        self.batch.pieces.clear();
        self.tx.send(parsed).map_err(|_| Stop::Unexpected)
    }

    /// An object key (its opening quote next), decoded.
    fn key(&mut self) -> Split<String> {
        let text = self.value_text()?;
        if !text.starts_with('"') {
            return Err(Stop::Unexpected);
        }
        serde_json::from_str::<Txt<'_>>(text)
            .map(|k| k.0.into_owned())
            .map_err(|_| Stop::Unexpected)
    }

    /// The members of an object whose `{` is next; `member` reads each
    /// value (its key given).
    fn object(&mut self, mut member: impl FnMut(&mut Self, String) -> Split) -> Split {
        self.items(b'{', b'}', |s| {
            let key = s.key()?;
            s.expect(b':')?;
            member(s, key)
        })
    }

    /// The elements of an array whose `[` is next.
    fn array(&mut self, element: impl FnMut(&mut Self) -> Split) -> Split {
        self.items(b'[', b']', element)
    }

    /// Comma-separated items between `open` (next) and `close`.
    fn items(&mut self, open: u8, close: u8, mut item: impl FnMut(&mut Self) -> Split) -> Split {
        self.expect(open)?;
        if self.peek()? == Some(close) {
            self.pos += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            match self.peek()? {
                Some(b',') => self.pos += 1,
                Some(b) if b == close => {
                    self.pos += 1;
                    return Ok(());
                }
                _ => return Err(Stop::Unexpected),
            }
        }
    }

    /// An array, or `null` (nothing); anything else is unexpected.
    fn array_or_null(&mut self, element: impl FnMut(&mut Self) -> Split) -> Split {
        if self.peek()? == Some(b'[') {
            return self.array(element);
        }
        if self.value_text()? != "null" {
            return Err(Stop::Unexpected);
        }
        Ok(())
    }

    /// The whole log.
    fn log(&mut self) -> Split {
        let bom = crate::ingest::BOM;
        while self.len < bom.len() && self.fill()? {}
        if self.buf[..self.len].starts_with(bom) {
            self.pos = bom.len();
        }
        self.object(|s, key| match key.as_str() {
            "version" => {
                let text = s.value_text()?;
                match serde_json::from_str::<Txt<'_>>(text) {
                    Ok(v) if &*v == SARIF_VERSION => {
                        s.version = Some(SARIF_VERSION.to_owned());
                        Ok(())
                    }
                    _ => Err(Stop::Unexpected),
                }
            }
            "runs" => s.array_or_null(Self::run),
            _ => s.piece(Piece::Other),
        })?;
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(Stop::Unexpected),
        }
    }

    /// One run object.
    fn run(&mut self) -> Split {
        if self.peek()? != Some(b'{') {
            return Err(Stop::Unexpected);
        }
        self.mark_piece(Piece::RunStart(self.runs));
        let mut seen = [false; 4];
        self.object(|s, key| {
            if let Some(part) = Part::of(&key) {
                if std::mem::replace(&mut seen[part as usize], true) {
                    return Err(Stop::Unexpected);
                }
                return s.piece(Piece::Part(part));
            }
            if key == "results" {
                return s.array_or_null(|s| s.piece(Piece::Result));
            }
            s.piece(Piece::Other)
        })?;
        self.mark_piece(Piece::RunEnd);
        self.runs += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::PathBuf;

    /// The streamed read of `bytes`, from two readers chained after its
    /// first `head` bytes (as the caller chains what it read first).
    fn streamed(bytes: &[u8], head: usize, read_bytes: usize) -> Option<Document> {
        let (first, rest) = bytes.split_at(head.min(bytes.len()));
        let mut src = first.chain(rest);
        parse_stream(
            Path::new("log.sarif"),
            &mut src,
            bytes.len() as u64,
            read_bytes,
        )
        .expect("reading from memory does not fail")
    }

    fn whole(bytes: &[u8]) -> crate::error::Result<Document> {
        let text = std::str::from_utf8(bytes.strip_prefix(crate::ingest::BOM).unwrap_or(bytes))
            .expect("test logs are UTF-8");
        super::super::parse(Path::new("log.sarif"), text)
    }

    /// Both reads agree: the same document, or the stream gives up where
    /// the whole read fails.
    fn assert_same(bytes: &[u8], read_sizes: &[usize]) -> bool {
        let expected = whole(bytes).ok();
        for &n in read_sizes {
            for head in [0, 5] {
                let got = streamed(bytes, head, n);
                match (&expected, got) {
                    (Some(doc), Some(d)) => {
                        assert_eq!(&d, doc, "read {n} bytes at a time, head {head}");
                    }
                    (None, None) => {}
                    (e, g) => panic!(
                        "whole read ok: {}, streamed ok: {} (read {n} at a time, head {head}): {}",
                        e.is_some(),
                        g.is_some(),
                        String::from_utf8_lossy(&bytes[..bytes.len().min(300)])
                    ),
                }
            }
        }
        expected.is_some()
    }

    fn sarif_files(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return;
        };
        for e in entries.flatten() {
            let p = e.path();
            if p.is_dir() {
                sarif_files(&p, out);
            } else if p
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(".sarif"))
            {
                out.push(p);
            }
        }
    }

    #[test]
    fn every_log_of_the_fixtures_and_the_corpus_reads_the_same_streamed_and_whole() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        sarif_files(&root.join("fixtures"), &mut files);
        let fixtures = files.len();
        sarif_files(&root.join("../shared/corpus/sarif"), &mut files);
        assert!(fixtures >= 3, "fixture logs found: {fixtures}");
        let (mut read, mut refused) = (0, 0);
        for f in &files {
            let bytes = std::fs::read(f).unwrap();
            // What the stream is given: plain UTF-8 with or without a BOM.
            let plain = !bytes.starts_with(&[0x1f, 0x8b])
                && !bytes.starts_with(&[0xff, 0xfe])
                && !bytes.starts_with(&[0xfe, 0xff])
                && !bytes.contains(&0);
            if !plain || std::str::from_utf8(&bytes).is_err() {
                continue;
            }
            let sizes: &[usize] = if bytes.len() < 100_000 {
                &[1, 13, 4096]
            } else {
                &[13, READ_BYTES]
            };
            if assert_same(&bytes, sizes) {
                read += 1;
            } else {
                refused += 1;
            }
        }
        // Valid logs outnumber the invalid ones in the corpus (70 and 4 now).
        assert!(
            read >= fixtures && read > refused,
            "{read} read, {refused} refused"
        );
    }

    const TOOL: &str = r#""tool":{"driver":{"name":"t","rules":[{"id":"R1","defaultConfiguration":{"level":"error"}}]}}"#;

    fn log(run_body: &str) -> String {
        format!(r#"{{"version":"2.1.0","runs":[{{{run_body}}}]}}"#)
    }

    #[test]
    fn odd_but_valid_logs_read_the_same_streamed_and_whole() {
        let result = r#"{"ruleId":"R1","message":{"text":"a \"}]\" b \\"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"src/a.c"},"region":{"startLine":3}}}]}"#;
        let cases = [
            log(&format!(r#"{TOOL},"results":[{result},{result}]"#)),
            // Results before the tool, and a key written with an escape.
            log(&format!(r#""res\u0075lts":[{result}],{TOOL}"#)),
            // Whitespace everywhere JSON allows it, and CRLF.
            format!(
                "\u{feff} {{ \"version\" :\r\n \"2.1.0\" , \"runs\" : [ {{ {TOOL} , \"results\" : [ {result} , \n {result} ] }} ] }} \n"
            ),
            r#"{"version":"2.1.0","runs":null}"#.to_string(),
            r#"{"version":"2.1.0","runs":[]}"#.to_string(),
            log(&format!(
                r#"{TOOL},"results":null,"invocations":[{{"executionSuccessful":true}}],"x":[1,-2.5e3,true,null,"s"]"#
            )),
            // Two runs, the version last.
            format!(
                r#"{{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","runs":[{{{TOOL},"results":[{result}]}},{{{TOOL}}}],"version":"2.1.0"}}"#
            ),
        ];
        for c in &cases {
            let bytes = c.as_bytes();
            assert!(assert_same(bytes, &[1, 2, 64, 4096]), "{c}");
        }
        let doc = whole(cases[0].as_bytes()).unwrap();
        assert_eq!(doc.findings.len(), 2);
        assert_eq!(&*doc.findings[0].message, "a \"}]\" b \\");
    }

    #[test]
    fn logs_the_whole_read_refuses_are_refused_by_the_stream_too() {
        let result = r#"{"ruleId":"R1","message":{"text":"m"}}"#;
        let cases = [
            format!("{} x", log(&format!(r#"{TOOL},"results":[{result}]"#))),
            log(&format!(r#"{TOOL},{TOOL}"#)),
            log(&format!(r#"{TOOL},"results":[{result} {result}]"#)),
            log(&format!(r#"{TOOL},"results":[{result},]"#)),
            log(&format!(r#"{TOOL},"results":5"#)),
            log(&format!(r#"{TOOL},"results":[{{"message":{{"text":7}}}}]"#)),
            r#"{"version":"2.0.0","runs":[]}"#.to_string(),
            r#"{"version":"2.1.0","runs":{}}"#.to_string(),
            r#"{"version":"2.1.0","runs":[7]}"#.to_string(),
            r#"{"runs":[]}"#.to_string(),
            r#"["version"]"#.to_string(),
            r#"{"version":"2.1.0","runs":[{"results":[{"message":{"text":"m"}}]"#.to_string(),
            r#"{"version":"2.1.0","runs":[],}"#.to_string(),
            r#"{"version":"2.1.0" "runs":[]}"#.to_string(),
        ];
        for c in &cases {
            assert!(whole(c.as_bytes()).is_err(), "the whole read takes {c}");
            for n in [1, 3, 4096] {
                assert!(streamed(c.as_bytes(), 0, n).is_none(), "streamed {c}");
            }
        }
        // Not UTF-8 inside a string.
        let mut bytes = log(&format!(r#"{TOOL},"results":[{result}]"#)).into_bytes();
        let at = bytes.windows(3).position(|w| w == b"\"m\"").unwrap() + 1;
        bytes[at] = 0xff;
        assert!(streamed(&bytes, 0, 4096).is_none());
    }

    #[test]
    fn the_end_of_a_string_is_found_short_or_long() {
        for at in [0, 1, 31, 32, 33, 200] {
            let mut hay = vec![b'a'; at];
            hay.extend_from_slice(b"\\\"z\"");
            assert_eq!(quote_or_backslash(&hay), Some(at), "backslash at {at}");
            hay[at] = b'"';
            assert_eq!(quote_or_backslash(&hay), Some(at), "quote at {at}");
            assert_eq!(quote_or_backslash(&hay[..at]), None, "none in {at}");
        }
    }

    #[test]
    fn a_reader_that_fails_fails_the_read() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        let mut src = b"{\"version\"".chain(Failing);
        let err = parse_stream(Path::new("x"), &mut src, 100, 16).expect_err("an I/O error");
        assert_eq!(err.to_string(), "disk on fire");
    }
}
