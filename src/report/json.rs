//! The verdict as JSON: the serialized [`Verdict`] type is the wire format.

use crate::verdict::Verdict;
use serde::Serialize;
use std::io::{self, Write};

/// Write pretty JSON and a final newline.
pub fn write(v: &Verdict, w: &mut dyn Write) -> io::Result<()> {
    // serde_json writes token by token; a concrete buffer in front of the
    // dynamic writer keeps those writes inlined (a 200k-finding verdict is
    // ~240 MB, tens of millions of tokens).
    let mut buf = io::BufWriter::with_capacity(1 << 16, w);
    v.serialize(&mut serde_json::Serializer::with_formatter(
        &mut buf,
        Pretty::default(),
    ))?;
    buf.write_all(b"\n")?;
    buf.flush()
}

/// A comma, a line break and the indentation of [`Pretty::MAX`] levels.
const BREAK: &[u8; 2 + 2 * Pretty::MAX] = &{
    let mut b = [b' '; 2 + 2 * Pretty::MAX];
    b[0] = b',';
    b[1] = b'\n';
    b
};

/// `serde_json::ser::PrettyFormatter`'s layout (two spaces per level),
/// byte for byte, with each line break and its indentation written at once:
/// serde_json's formatter writes the indentation one level at a time, a
/// write per level on every line of a verdict that has millions of lines.
#[derive(Debug, Default)]
struct Pretty {
    depth: usize,
    has_value: bool,
}

impl Pretty {
    /// Levels of indentation written in one piece; deeper lines take more.
    const MAX: usize = 32;

    /// A line break (after a comma unless `first`) and the indentation.
    fn line<W: ?Sized + Write>(&self, w: &mut W, first: bool) -> io::Result<()> {
        let mut levels = self.depth;
        let now = levels.min(Self::MAX);
        w.write_all(&BREAK[usize::from(first)..2 + 2 * now])?;
        levels -= now;
        while levels > 0 {
            let now = levels.min(Self::MAX);
            w.write_all(&BREAK[2..2 + 2 * now])?;
            levels -= now;
        }
        Ok(())
    }

    fn open<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth += 1;
        self.has_value = false;
        w.write_all(bracket)
    }

    fn close<W: ?Sized + Write>(&mut self, w: &mut W, bracket: &[u8]) -> io::Result<()> {
        self.depth -= 1;
        if self.has_value {
            self.line(w, true)?;
        }
        w.write_all(bracket)
    }
}

impl serde_json::ser::Formatter for Pretty {
    #[inline]
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"[")
    }

    #[inline]
    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"]")
    }

    #[inline]
    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, first)
    }

    #[inline]
    fn end_array_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }

    #[inline]
    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.open(w, b"{")
    }

    #[inline]
    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.close(w, b"}")
    }

    #[inline]
    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        self.line(w, first)
    }

    #[inline]
    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        w.write_all(b": ")
    }

    #[inline]
    fn end_object_value<W: ?Sized + Write>(&mut self, _: &mut W) -> io::Result<()> {
        self.has_value = true;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pretty(v: &serde_json::Value) -> String {
        let mut out = Vec::new();
        v.serialize(&mut serde_json::Serializer::with_formatter(
            &mut out,
            Pretty::default(),
        ))
        .unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn pretty_lays_out_json_as_serde_json_does() {
        // Empty and nested containers, scalars, escapes, and nesting deeper
        // than the indentation written in one piece (2 × 32 + 5 levels).
        let mut deep = serde_json::json!({"leaf": [1, {}, [], "x"]});
        for i in 0..(2 * Pretty::MAX + 5) {
            deep = if i % 2 == 0 {
                serde_json::json!([deep, null])
            } else {
                serde_json::json!({ "k": deep, "e": {} })
            };
        }
        for v in [
            serde_json::json!({}),
            serde_json::json!([]),
            serde_json::json!(1.5),
            serde_json::json!({"a": [], "b": {}, "c": [{}], "d": "q\"\n\u{7f}é", "e": [1, [2, [3]]]}),
            deep,
        ] {
            assert_eq!(pretty(&v), serde_json::to_string_pretty(&v).unwrap());
        }
    }
}
