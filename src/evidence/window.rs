//! JSON read from a stream through a window: each value is parsed from a
//! slice of the window with its strings borrowed, and the window holds only
//! the bytes of the value being read (it grows to the largest one), so a
//! document of a million short values is read without holding it whole.
//! The structure around the values (objects, arrays) is walked by the
//! caller with [`Window::expect`], [`Window::next`] and [`Window::items`].

use std::io::Read;

/// A value type whose strings may borrow from the window (`Of<'s>` borrows
/// for `'s`).
pub(crate) trait Shape {
    type Of<'s>: serde::Deserialize<'s>;
}

/// First size of a window's buffer.
const FIRST: usize = 64 << 10;

pub(crate) struct Window<R> {
    src: R,
    buf: Vec<u8>,
    /// The unread bytes are `buf[pos..end]`.
    pos: usize,
    end: usize,
    /// Bytes of the stream before `buf[0]`.
    base: u64,
    /// The stream has ended.
    done: bool,
}

/// An error with the byte offset in the stream where it was found.
pub(crate) type Result<T> = std::result::Result<T, String>;

impl<R: Read> Window<R> {
    pub(crate) fn new(src: R) -> Self {
        Window::with_capacity(src, FIRST)
    }

    pub(crate) fn with_capacity(src: R, cap: usize) -> Self {
        Window {
            src,
            buf: vec![0; cap.max(1)],
            pos: 0,
            end: 0,
            base: 0,
            done: false,
        }
    }

    /// The offset in the stream of the next unread byte.
    fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Reads more of the stream into the window, keeping the unread bytes
    /// (moved to its start, or into a window twice the size when it is
    /// full of them). False at the end of the stream.
    fn more(&mut self) -> Result<bool> {
        if self.done {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
        }
        if self.end == self.buf.len() {
            self.buf.resize(self.buf.len() * 2, 0);
        }
        loop {
            match self.src.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.done = true;
                    return Ok(false);
                }
                Ok(n) => {
                    self.end += n;
                    return Ok(true);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(format!("{e} (at byte {})", self.base + self.end as u64)),
            }
        }
    }

    /// The next byte that is not JSON whitespace, not taken; `None` at the
    /// end of the stream.
    pub(crate) fn peek(&mut self) -> Result<Option<u8>> {
        loop {
            while self.pos < self.end {
                match self.buf[self.pos] {
                    b' ' | b'\t' | b'\n' | b'\r' => self.pos += 1,
                    b => return Ok(Some(b)),
                }
            }
            if !self.more()? {
                return Ok(None);
            }
        }
    }

    /// Takes the next byte that is not whitespace.
    pub(crate) fn next(&mut self) -> Result<Option<u8>> {
        let b = self.peek()?;
        if b.is_some() {
            self.pos += 1;
        }
        Ok(b)
    }

    /// Takes the next byte that is not whitespace, which must be `want`.
    pub(crate) fn expect(&mut self, want: u8) -> Result<()> {
        self.peek()?;
        let at = self.offset();
        match self.next()? {
            Some(b) if b == want => Ok(()),
            Some(b) => Err(format!(
                "expected `{}` at byte {at}, found `{}`",
                want as char,
                (b as char).escape_default()
            )),
            None => Err(format!(
                "expected `{}` at byte {at}, found the end",
                want as char
            )),
        }
    }

    /// Whether the unread bytes start with `prefix` (read as they are, not
    /// skipping whitespace); taken if they do.
    pub(crate) fn take_prefix(&mut self, prefix: &[u8]) -> Result<bool> {
        while self.end - self.pos < prefix.len() {
            if !self.more()? {
                break;
            }
        }
        let found = self.buf[self.pos..self.end].starts_with(prefix);
        if found {
            self.pos += prefix.len();
        }
        Ok(found)
    }

    /// Parses the next value (after whitespace) and hands it to `f`, its
    /// strings borrowed from the window where they have no escapes.
    pub(crate) fn value<S: Shape, O>(
        &mut self,
        f: impl for<'s> FnOnce(S::Of<'s>) -> O,
    ) -> Result<O> {
        loop {
            {
                let slice = &self.buf[self.pos..self.end];
                let mut values =
                    serde_json::Deserializer::from_slice(slice).into_iter::<S::Of<'_>>();
                let parsed = values.next();
                let used = values.byte_offset();
                // A value that ends where the window does may go on past it
                // (a number) unless the stream has ended.
                let whole = used < slice.len() || self.done;
                match parsed {
                    Some(Ok(v)) if whole => {
                        let out = f(v);
                        self.pos += used;
                        return Ok(out);
                    }
                    // A value cut by the window's edge is not always an
                    // EOF error (`2.` is an invalid number): any error is
                    // final only once the stream has ended (a malformed
                    // value reads the rest of the stream first).
                    Some(Err(e)) if self.done => {
                        // serde_json's column counts from the window's start
                        // (a stored document is one line).
                        return Err(format!("{e} (in the value at byte {})", self.offset()));
                    }
                    None if self.done => {
                        return Err(format!(
                            "expected a value at byte {}, found the end",
                            self.offset()
                        ));
                    }
                    _ => {}
                }
            }
            self.more()?;
        }
    }

    /// Walks a JSON array, calling `item` at each element (which must take
    /// it, with [`Window::value`] or by walking it).
    pub(crate) fn items(&mut self, mut item: impl FnMut(&mut Self) -> Result<()>) -> Result<()> {
        self.expect(b'[')?;
        if self.peek()? == Some(b']') {
            self.pos += 1;
            return Ok(());
        }
        loop {
            item(self)?;
            self.peek()?;
            let at = self.offset();
            match self.next()? {
                Some(b',') => {}
                Some(b']') => return Ok(()),
                _ => return Err(format!("expected `,` or `]` at byte {at}")),
            }
        }
    }

    /// Only whitespace is left.
    pub(crate) fn end(&mut self) -> Result<()> {
        match self.peek()? {
            None => Ok(()),
            Some(_) => Err(format!("trailing characters at byte {}", self.offset())),
        }
    }
}

/// Shapes of the values read through a window.
pub(crate) struct Ignored;
impl Shape for Ignored {
    type Of<'s> = serde::de::IgnoredAny;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::Txt;

    struct Text;
    impl Shape for Text {
        type Of<'s> = Txt<'s>;
    }
    struct Pair;
    impl Shape for Pair {
        type Of<'s> = (Txt<'s>, u64);
    }

    /// A reader that gives at most `n` bytes per call.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            let n = self.1.min(out.len()).min(self.0.len());
            out[..n].copy_from_slice(&self.0[..n]);
            self.0 = &self.0[n..];
            Ok(n)
        }
    }

    /// `{"name": ..., "pairs": [[text, n], ...], anything else ignored}`.
    /// `(text, whether it was borrowed, number)`.
    type Pairs = Vec<(String, bool, u64)>;

    fn walk(w: &mut Window<impl Read>) -> Result<(String, Pairs)> {
        let (mut name, mut pairs) = (String::new(), Vec::new());
        w.expect(b'{')?;
        loop {
            let key = w.value::<Text, _>(|k| k.to_string())?;
            w.expect(b':')?;
            match key.as_str() {
                "name" => name = w.value::<Text, _>(|t| t.to_string())?,
                "pairs" => w.items(|w| {
                    w.value::<Pair, _>(|(t, n)| {
                        let borrowed = matches!(t.0, std::borrow::Cow::Borrowed(_));
                        pairs.push((t.to_string(), borrowed, n))
                    })
                })?,
                _ => w.value::<Ignored, _>(|_| ())?,
            }
            match w.next()? {
                Some(b',') => {}
                Some(b'}') => break,
                _ => return Err("expected , or }".into()),
            }
        }
        w.end()?;
        Ok((name, pairs))
    }

    #[test]
    fn values_are_read_whole_across_window_edges_at_any_read_size() {
        let doc = br#" {"skip": 12345, "name":"a \"q\"", "pairs" : [ ["x", 1],["long text that outgrows a small window", 23456789] ,["", 0]], "more": {"n": [1, 2.5e3, null]}, "last": 678 } "#;
        let want = (
            "a \"q\"".to_string(),
            vec![
                ("x".to_string(), true, 1),
                (
                    "long text that outgrows a small window".to_string(),
                    true,
                    23456789,
                ),
                (String::new(), true, 0),
            ],
        );
        for step in [1, 2, 3, 7, 64, doc.len()] {
            for cap in [1, 4, 16, 4096] {
                let mut w = Window::with_capacity(Trickle(doc, step), cap);
                assert_eq!(walk(&mut w).unwrap(), want, "reads of {step}, window {cap}");
            }
        }
        // A number cut by the window's edge is read whole: 12345, not 1.
        let doc = br#"{"pairs":[["n",12345]]}"#;
        let mut w = Window::with_capacity(Trickle(doc, 1), 1);
        assert_eq!(walk(&mut w).unwrap().1, [("n".to_string(), true, 12345)]);
    }

    #[test]
    fn malformed_and_cut_documents_are_errors_with_their_offset() {
        let cases: [(&[u8], &str); 5] = [
            (br#"{"pairs":[["x",1]"#, "expected `,` or `]` at byte 17"),
            (br#"{"pairs":[["x",1],["y""#, "EOF while parsing"),
            (br#"{"pairs":[["x","y"]]}"#, "invalid type"),
            (br#"{"name":"a"} x"#, "trailing characters at byte 13"),
            (br#"["#, "expected `{` at byte 0, found `[`"),
        ];
        for (doc, want) in cases {
            for step in [1, doc.len()] {
                let mut w = Window::with_capacity(Trickle(doc, step), 2);
                let err = walk(&mut w).unwrap_err();
                assert!(
                    err.contains(want),
                    "{}: {err}",
                    String::from_utf8_lossy(doc)
                );
            }
        }
        // A failing stream's error is given with where it failed.
        struct Fails;
        impl Read for Fails {
            fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
                Err(std::io::Error::other("disk gone"))
            }
        }
        let err = walk(&mut Window::new(Fails)).unwrap_err();
        assert!(err.contains("disk gone (at byte 0)"), "{err}");
    }
}
