//! The verdict as JSON: the serialized [`Verdict`] type is the wire format.

use crate::verdict::Verdict;
use std::io::Write;

/// Write pretty JSON and a final newline.
pub fn write(v: &Verdict, w: &mut dyn Write) -> std::io::Result<()> {
    // serde_json writes token by token; a concrete buffer in front of the
    // dynamic writer keeps those writes inlined (a 200k-finding verdict is
    // ~240 MB, tens of millions of tokens).
    let mut buf = std::io::BufWriter::with_capacity(1 << 16, w);
    serde_json::to_writer_pretty(&mut buf, v)?;
    buf.write_all(b"\n")?;
    buf.flush()
}
