//! The verdict as JSON: the serialized [`Verdict`] type is the wire format.

use crate::verdict::Verdict;
use std::io::Write;

/// Write pretty JSON and a final newline.
pub fn write(v: &Verdict, w: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, v)?;
    w.write_all(b"\n")
}
