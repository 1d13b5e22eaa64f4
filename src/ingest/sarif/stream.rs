//! A large SARIF log read as a stream: the text is never held whole.
//!
//! The reading thread takes the bytes a buffer (about a megabyte) at a time
//! from its source (which the caller reads ahead on a thread of its own),
//! checks that the buffer is UTF-8, and walks it: the log's outline
//! (`{ … "runs": [ { … "results": [ … ] … } ] … }`) by hand, and each value
//! in it (each result, each other member of a run, each other member of the
//! log) with the same borrowing serde types as [`parse`](super::parse),
//! straight from the buffer. The events parsed from a buffer borrow it, and
//! travel with it to a second thread that builds findings from them. A
//! value cut off by the end of the buffer is parsed again from the start of
//! the next one, which begins with its bytes. What is resident at once is
//! the findings plus a few buffers, not the text plus the findings.
//!
//! This path only reads valid logs. At the first thing it does not expect
//! (a syntax error, a wrong type, a repeated member, another SARIF version,
//! `runs` or `results` neither an array nor null) it gives up, and the
//! caller reads the file whole with [`parse`](super::parse), which reports
//! the problem with its position. Either way a log gives the same
//! [`Document`]; the tests compare both paths over every SARIF file of the
//! corpus, with buffers as short as one byte.

use super::{Builder, Event, Part, PartSeed, RawResult, RunCtx, SARIF_VERSION};
use crate::ingest::Txt;
use crate::model::Document;
use serde::Deserialize;
use serde::de::{DeserializeSeed, IgnoredAny};
use std::io::BufRead;
use std::path::Path;

/// Bytes asked of the reader at a time, and the size a buffer is filled to
/// before it is walked.
pub(crate) const READ_BYTES: usize = 1 << 20;

/// Hand-overs queued before the reading thread waits.
const QUEUED: usize = 4;

type Events<'a> = Vec<Event<'a>>;

/// An emptied buffer and event vector, back to be filled again: a few of
/// them serve the whole log, their memory stays resident, and none is freed
/// on the other thread.
type Spare = (String, Events<'static>);

/// An emptied event vector, its lifetime let go (it holds no events).
// `filter_map` changes the element type (its lifetime), which `filter` cannot.
#[allow(clippy::unnecessary_filter_map)]
fn recycle(events: &mut Events<'_>) -> Events<'static> {
    events.clear();
    // Collected in place: the vector keeps its allocation.
    std::mem::take(events)
        .into_iter()
        .filter_map(|_| None)
        .collect()
}

self_cell::self_cell!(
    /// A buffer's text and the events parsed from it, handed over together.
    struct Parsed {
        owner: String,
        #[covariant]
        dependent: Events,
    }
);

/// Why the read stopped before the end of the log.
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
/// each read and of a buffer (tests make it tiny).
pub(crate) fn parse_stream(
    path: &Path,
    src: &mut dyn BufRead,
    size_hint: u64,
    read_bytes: usize,
) -> std::io::Result<Option<Document>> {
    let (split, built) = std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Parsed>(QUEUED);
        let (back_tx, back_rx) = std::sync::mpsc::channel::<Spare>();
        let thread = std::thread::Builder::new().name("fixops-build".into());
        let Ok(worker) = thread.spawn_scoped(scope, move || build(rx, back_tx, size_hint)) else {
            // Without a thread to build findings on, the log is read whole.
            return (Err(Stop::Unexpected), None);
        };
        let mut r = Reader {
            src,
            read_bytes: read_bytes.max(1),
            eof: false,
            tx,
            back: back_rx,
            events: Vec::new(),
        };
        let mut walk = Walk::default();
        let split = r.read(&mut walk);
        drop(r);
        (split.map(|()| walk.version), worker.join().ok())
    });
    let version = match split {
        Ok(done) => done,
        Err(Stop::Io(e)) => return Err(e),
        Err(Stop::Unexpected) => return Ok(None),
    };
    let Some(mut b) = built else {
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
    back: std::sync::mpsc::Sender<Spare>,
    size_hint: u64,
) -> Builder {
    let mut b = Builder::default();
    // As in [`parse`](super::parse): capacity never written is never resident.
    b.findings
        .reserve(usize::try_from(size_hint).unwrap_or(0) / super::RESULT_BYTES_LOW);
    let mut run: Option<RunCtx> = None;
    for mut parsed in rx {
        let events = parsed.with_dependent_mut(|_, events| {
            for event in events.drain(..) {
                b.handle(&mut run, event);
            }
            recycle(events)
        });
        let mut text = parsed.into_owner();
        text.clear();
        // The reading thread may have finished: then both are dropped.
        let _ = back.send((text, events));
    }
    b
}

/// The reading thread's source and its side of the hand-over.
struct Reader<'a> {
    src: &'a mut dyn BufRead,
    read_bytes: usize,
    eof: bool,
    tx: std::sync::mpsc::SyncSender<Parsed>,
    back: std::sync::mpsc::Receiver<Spare>,
    /// The vector the next buffer's events go into.
    events: Events<'static>,
}

impl Reader<'_> {
    /// Read, walk and hand over buffers to the end of the log.
    fn read(&mut self, walk: &mut Walk) -> Split {
        let mut buf: Vec<u8> = Vec::new();
        // A buffer is walked once it holds this many bytes (or the input ends).
        let mut want = self.read_bytes;
        let mut first = true;
        loop {
            // Enough for a byte-order mark, however short the reads.
            let bom = crate::ingest::BOM;
            self.fill(&mut buf, if first { want.max(bom.len()) } else { want })?;
            if first {
                first = false;
                if buf.starts_with(bom) {
                    buf.drain(..bom.len());
                }
            }
            // Checked once; the bytes of a character cut off by the end of
            // the buffer wait for the next one (only then is the rest
            // checked again).
            let mut cut = Vec::new();
            let text = match String::from_utf8(buf) {
                Ok(text) => text,
                Err(e) if e.utf8_error().error_len().is_none() && !self.eof => {
                    let valid = e.utf8_error().valid_up_to();
                    let mut bytes = e.into_bytes();
                    cut = bytes.split_off(valid);
                    String::from_utf8(bytes).map_err(|_| Stop::Unexpected)?
                }
                Err(_) => return Err(Stop::Unexpected),
            };
            walk.eof = self.eof;
            let mut used = 0;
            let events = std::mem::take(&mut self.events);
            let mut parsed = Parsed::try_new(text, |t| walk.walk(t, &mut used, events))?;
            let done = walk.at == At::End && walk.eof;
            let total = parsed.borrow_owner().len();
            let sent = !parsed.borrow_dependent().is_empty();
            buf = if sent {
                let (next, events) = self.back.try_recv().unwrap_or_default();
                self.events = events;
                let mut next = next.into_bytes();
                next.extend_from_slice(&parsed.borrow_owner().as_bytes()[used..]);
                self.tx.send(parsed).map_err(|_| Stop::Unexpected)?;
                next
            } else {
                self.events = parsed.with_dependent_mut(|_, events| recycle(events));
                let mut same = parsed.into_owner().into_bytes();
                same.drain(..used);
                same
            };
            buf.extend_from_slice(&cut);
            if done {
                return Ok(());
            }
            if walk.eof {
                // The input ended inside the log.
                return Err(Stop::Unexpected);
            }
            // Always more than is held now; and for a value longer than what
            // was left of the buffer, at least as much again before parsing
            // it once more.
            let again = if used == 0 {
                total.saturating_mul(2)
            } else {
                0
            };
            want = again.max(buf.len() + self.read_bytes);
        }
    }

    /// Read into `buf` until it holds `want` bytes or the input ends.
    fn fill(&mut self, buf: &mut Vec<u8>, want: usize) -> Split {
        // Grown once, to the size wanted: growing by each piece taken would
        // double the buffer's capacity past it.
        buf.reserve_exact(want.saturating_sub(buf.len()));
        while buf.len() < want && !self.eof {
            let data = loop {
                match self.src.fill_buf() {
                    Ok(data) => break data,
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(e.into()),
                }
            };
            let n = data.len().min(self.read_bytes).min(want - buf.len());
            buf.extend_from_slice(&data[..n]);
            self.src.consume(n);
            self.eof = n == 0;
        }
        Ok(())
    }
}

/// Where the walk is in the log's outline: before the token of the
/// variant's name. `first` is true right after an opening bracket, where a
/// closing one may follow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
enum At {
    /// The log object's `{`.
    #[default]
    Log,
    /// A member of the log, or its `}`.
    LogMember { first: bool },
    /// `,` or `}` after a member of the log.
    LogNext,
    /// The value of `runs`: `[` or `null`.
    Runs,
    /// A run's `{`, or the `]` of `runs`.
    Run { first: bool },
    /// `,` or `]` after a run.
    RunNext,
    /// A member of a run, or its `}`.
    RunMember { first: bool },
    /// `,` or `}` after a member of a run.
    RunMemberNext,
    /// The value of `results`: `[` or `null`.
    Results,
    /// A result, or the `]` of `results`.
    Result { first: bool },
    /// `,` or `]` after a result.
    ResultNext,
    /// Past the log: only whitespace may follow.
    End,
}

/// The walk through the log's outline, carried from buffer to buffer.
#[derive(Default)]
struct Walk {
    at: At,
    /// Runs begun.
    runs: usize,
    /// The run members of [`Part`] seen in the current run.
    parts: [bool; 4],
    /// `version` and `runs` seen.
    version_seen: bool,
    runs_seen: bool,
    version: Option<String>,
    /// The buffer being walked ends the input.
    eof: bool,
}

/// What a step of the walk came to.
enum Step<T> {
    Done(T),
    /// The buffer ends first: wait for more.
    More,
}

use Step::{Done, More};

/// The first byte at or after `i` that is not JSON whitespace.
fn token(b: &[u8], mut i: usize) -> Option<(usize, u8)> {
    while let Some(&c) = b.get(i) {
        if !matches!(c, b' ' | b'\t' | b'\n' | b'\r') {
            return Some((i, c));
        }
        i += 1;
    }
    None
}

/// Whether a parse error of `t` is at its last few bytes.
fn near_end(t: &str, e: &serde_json::Error) -> bool {
    let line_start = match e.line() {
        0 | 1 => 0,
        n => memchr::memchr_iter(b'\n', t.as_bytes())
            .nth(n - 2)
            .map_or(t.len(), |at| at + 1),
    };
    t.len().saturating_sub(line_start + e.column()) <= 16
}

impl Walk {
    /// Walk `t` as far as it goes; `used` is where the walk stopped (the
    /// rest waits for the next buffer).
    fn walk<'a>(
        &mut self,
        t: &'a str,
        used: &mut usize,
        mut events: Events<'a>,
    ) -> Split<Events<'a>> {
        while let Done(next) = self.step(t, *used, &mut events)? {
            *used = next;
        }
        Ok(events)
    }

    /// One token or value of the outline from `pos` on, and where it ends.
    fn step<'a>(&mut self, t: &'a str, pos: usize, out: &mut Events<'a>) -> Split<Step<usize>> {
        let b = t.as_bytes();
        let Some((i, c)) = token(b, pos) else {
            return Ok(More);
        };
        let (next, at) = match (self.at, c) {
            (At::Log, b'{') => (i + 1, At::LogMember { first: true }),
            (At::LogMember { first: true }, b'}') => (i + 1, At::End),
            (At::LogMember { .. }, b'"') => {
                let Done((key, j)) = self.key(t, i)? else {
                    return Ok(More);
                };
                match &*key {
                    "version" => {
                        let Done((v, end)) = self.value::<Txt<'_>>(t, j)? else {
                            return Ok(More);
                        };
                        if std::mem::replace(&mut self.version_seen, true) || &*v != SARIF_VERSION {
                            return Err(Stop::Unexpected);
                        }
                        self.version = Some(SARIF_VERSION.to_owned());
                        (end, At::LogNext)
                    }
                    "runs" => {
                        if std::mem::replace(&mut self.runs_seen, true) {
                            return Err(Stop::Unexpected);
                        }
                        (j, At::Runs)
                    }
                    _ => match self.value::<IgnoredAny>(t, j)? {
                        Done((_, end)) => (end, At::LogNext),
                        More => return Ok(More),
                    },
                }
            }
            (At::LogNext, b',') => (i + 1, At::LogMember { first: false }),
            (At::LogNext, b'}') => (i + 1, At::End),
            (At::Runs, b'[') => (i + 1, At::Run { first: true }),
            (At::Runs, b'n') => match self.value::<()>(t, i)? {
                Done(((), end)) => (end, At::LogNext),
                More => return Ok(More),
            },
            (At::Run { first: true }, b']') => (i + 1, At::LogNext),
            (At::Run { .. }, b'{') => {
                out.push(Event::RunStart(self.runs));
                self.parts = [false; 4];
                (i + 1, At::RunMember { first: true })
            }
            (At::RunNext, b',') => (i + 1, At::Run { first: false }),
            (At::RunNext, b']') => (i + 1, At::LogNext),
            (At::RunMember { first: true } | At::RunMemberNext, b'}') => {
                out.push(Event::RunEnd);
                self.runs += 1;
                (i + 1, At::RunNext)
            }
            (At::RunMember { .. }, b'"') => {
                let Done((key, j)) = self.key(t, i)? else {
                    return Ok(More);
                };
                if let Some(part) = Part::of(&key) {
                    if self.parts[part as usize] {
                        return Err(Stop::Unexpected);
                    }
                    let Done((raw, end)) = self.value::<&'a serde_json::value::RawValue>(t, j)?
                    else {
                        return Ok(More);
                    };
                    let mut de = serde_json::Deserializer::from_str(raw.get());
                    let event = PartSeed(part)
                        .deserialize(&mut de)
                        .map_err(|_| Stop::Unexpected)?;
                    self.parts[part as usize] = true;
                    out.push(event);
                    (end, At::RunMemberNext)
                } else if &*key == "results" {
                    (j, At::Results)
                } else {
                    match self.value::<IgnoredAny>(t, j)? {
                        Done((_, end)) => (end, At::RunMemberNext),
                        More => return Ok(More),
                    }
                }
            }
            (At::RunMemberNext, b',') => (i + 1, At::RunMember { first: false }),
            (At::Results, b'[') => (i + 1, At::Result { first: true }),
            (At::Results, b'n') => match self.value::<()>(t, i)? {
                Done(((), end)) => (end, At::RunMemberNext),
                More => return Ok(More),
            },
            (At::Result { first: true }, b']') => (i + 1, At::RunMemberNext),
            (At::Result { .. }, _) => {
                let Done((mut raw, end)) = self.value::<RawResult<'a>>(t, i)? else {
                    return Ok(More);
                };
                raw.prepare();
                out.push(Event::Result(raw));
                (end, At::ResultNext)
            }
            (At::ResultNext, b',') => (i + 1, At::Result { first: false }),
            (At::ResultNext, b']') => (i + 1, At::RunMemberNext),
            _ => return Err(Stop::Unexpected),
        };
        self.at = at;
        Ok(Done(next))
    }

    /// A member's key (its `"` at `i`) and the `:` after it: the key, and
    /// where its value may start.
    fn key<'a>(&self, t: &'a str, i: usize) -> Split<Step<(Txt<'a>, usize)>> {
        let Done((key, end)) = self.value::<Txt<'a>>(t, i)? else {
            return Ok(More);
        };
        match token(t.as_bytes(), end) {
            Some((j, b':')) => Ok(Done((key, j + 1))),
            Some(_) => Err(Stop::Unexpected),
            None if self.eof => Err(Stop::Unexpected),
            None => Ok(More),
        }
    }

    /// The value at `i` (after whitespace), and where it ends. A value that
    /// reaches the end of the buffer may go on in the next one (a number
    /// may), and one the buffer cuts off fails to parse: both wait for more.
    /// Any other failure ends the walk.
    fn value<'a, T: Deserialize<'a>>(&self, t: &'a str, i: usize) -> Split<Step<(T, usize)>> {
        let mut values = serde_json::Deserializer::from_str(&t[i..]).into_iter::<T>();
        match values.next() {
            Some(Ok(v)) => {
                let end = i + values.byte_offset();
                if end == t.len() && !self.eof {
                    Ok(More)
                } else {
                    Ok(Done((v, end)))
                }
            }
            // Only whitespace left.
            None if !self.eof => Ok(More),
            // A cut-off number fails as a syntax error, at the end.
            Some(Err(e))
                if !self.eof && (e.is_eof() || (e.is_syntax() && near_end(&t[i..], &e))) =>
            {
                Ok(More)
            }
            None | Some(Err(_)) => Err(Stop::Unexpected),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Read;
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
        // Whole, with findings built on the reading thread (no second
        // thread can have a stack this large): the same outcome.
        let text = std::str::from_utf8(bytes.strip_prefix(crate::ingest::BOM).unwrap_or(bytes))
            .expect("test logs are UTF-8");
        let huge = std::thread::Builder::new().stack_size(usize::MAX);
        let one_thread = super::super::parse_on(huge, Path::new("log.sarif"), text);
        let expected = match (whole(bytes), one_thread) {
            (Ok(a), Ok(b)) => {
                assert_eq!(a, b, "built on one thread");
                Some(a)
            }
            (Err(a), Err(b)) => {
                assert_eq!(a.to_string(), b.to_string(), "built on one thread");
                None
            }
            (a, b) => panic!("two threads: {a:?}; one thread: {b:?}"),
        };
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
            // A character where the outline has none, cut by short reads.
            r#"{"version":"2.1.0",€"runs":[]}"#.to_string(),
            r#"{"version":"2.1.0","runs":[]}😀"#.to_string(),
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
    fn an_emptied_event_vector_keeps_its_memory() {
        let mut events: Events<'_> = Vec::with_capacity(100);
        events.push(Event::RunStart(0));
        events.push(Event::RunEnd);
        let spare = recycle(&mut events);
        assert!(spare.is_empty());
        assert!(spare.capacity() >= 100, "capacity {}", spare.capacity());
    }

    #[test]
    fn a_reader_that_fails_fails_the_read() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk on fire"))
            }
        }
        let mut src = b"{\"version\"".chain(std::io::BufReader::new(Failing));
        let err = parse_stream(Path::new("x"), &mut src, 100, 16).expect_err("an I/O error");
        assert_eq!(err.to_string(), "disk on fire");
    }
}
