//! The text encodings spreadsheet exports come in: UTF-8 (with or without a BOM), UTF-16
//! with a BOM (Excel's "Unicode Text"), and Windows-1252 (a German or French Excel's plain
//! "CSV"). Input is decoded to UTF-8 for the CSV reader; output is encoded back, so that a
//! file goes back into the tool it came from.

use std::io::{Read, Write};

/// An encoding a table can be read and written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextEncoding {
    /// UTF-8.
    Utf8,
    /// UTF-16, little-endian.
    Utf16Le,
    /// UTF-16, big-endian.
    Utf16Be,
    /// Windows-1252 (a superset of ISO 8859-1 for Western European text).
    Windows1252,
}

impl TextEncoding {
    /// The names `--encoding` takes.
    pub const NAMES: &'static str = "utf-8, utf-16le, utf-16be, windows-1252";

    /// Reads an `--encoding` value (case-insensitive; `cp1252` and `latin1` also name
    /// Windows-1252, as Excel users call it).
    pub fn parse(name: &str) -> Option<TextEncoding> {
        match name.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Some(TextEncoding::Utf8),
            "utf-16le" | "utf16le" => Some(TextEncoding::Utf16Le),
            "utf-16be" | "utf16be" => Some(TextEncoding::Utf16Be),
            "windows-1252" | "cp1252" | "latin1" | "iso-8859-1" => Some(TextEncoding::Windows1252),
            _ => None,
        }
    }

    /// The name, as `--encoding` takes it.
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "utf-8",
            TextEncoding::Utf16Le => "utf-16le",
            TextEncoding::Utf16Be => "utf-16be",
            TextEncoding::Windows1252 => "windows-1252",
        }
    }

    /// The encoding a byte order mark at the start of `head` names, and the BOM's length.
    pub fn sniff(head: &[u8]) -> Option<(TextEncoding, usize)> {
        if head.starts_with(b"\xEF\xBB\xBF") {
            Some((TextEncoding::Utf8, 3))
        } else if head.starts_with(b"\xFF\xFE") {
            Some((TextEncoding::Utf16Le, 2))
        } else if head.starts_with(b"\xFE\xFF") {
            Some((TextEncoding::Utf16Be, 2))
        } else {
            None
        }
    }

    fn encoding_rs(self) -> &'static encoding_rs::Encoding {
        match self {
            TextEncoding::Utf8 => encoding_rs::UTF_8,
            TextEncoding::Utf16Le => encoding_rs::UTF_16LE,
            TextEncoding::Utf16Be => encoding_rs::UTF_16BE,
            TextEncoding::Windows1252 => encoding_rs::WINDOWS_1252,
        }
    }

    /// A reader of `source` (its BOM, if any, already consumed) that yields UTF-8. UTF-8 is
    /// passed through as it is, so that invalid bytes are found and reported with their line.
    pub fn decoder<R: Read + Send + 'static>(self, source: R) -> Box<dyn Read + Send> {
        match self {
            TextEncoding::Utf8 => Box::new(source),
            other => Box::new(
                encoding_rs_io::DecodeReaderBytesBuilder::new()
                    .encoding(Some(other.encoding_rs()))
                    .build(source),
            ),
        }
    }

    /// The byte order mark of this encoding.
    pub fn bom(self) -> &'static [u8] {
        match self {
            TextEncoding::Utf8 => b"\xEF\xBB\xBF",
            TextEncoding::Utf16Le => b"\xFF\xFE",
            TextEncoding::Utf16Be => b"\xFE\xFF",
            TextEncoding::Windows1252 => b"",
        }
    }
}

/// A writer that takes UTF-8 and writes it in `encoding`. Characters that Windows-1252
/// cannot hold become numeric character references (encoding_rs's rule); they cannot come
/// from a Windows-1252 input, and keys are ASCII.
pub struct Encoder<W: Write> {
    inner: W,
    encoding: TextEncoding,
    pending: Vec<u8>,
}

impl<W: Write> Encoder<W> {
    /// Encodes what is written into `inner`.
    pub fn new(inner: W, encoding: TextEncoding) -> Encoder<W> {
        Encoder { inner, encoding, pending: Vec::new() }
    }

    /// The writer underneath (a character split at the very end is dropped: the csv writer
    /// never ends in one).
    pub fn into_inner(self) -> W {
        self.inner
    }

    fn encode(&mut self, text: &str) -> std::io::Result<()> {
        match self.encoding {
            TextEncoding::Utf8 => self.inner.write_all(text.as_bytes()),
            TextEncoding::Utf16Le => {
                let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_le_bytes).collect();
                self.inner.write_all(&bytes)
            }
            TextEncoding::Utf16Be => {
                let bytes: Vec<u8> = text.encode_utf16().flat_map(u16::to_be_bytes).collect();
                self.inner.write_all(&bytes)
            }
            TextEncoding::Windows1252 => {
                let (bytes, _, _) = encoding_rs::WINDOWS_1252.encode(text);
                self.inner.write_all(&bytes)
            }
        }
    }
}

impl<W: Write> Write for Encoder<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        // A character may be split between two writes: keep its first bytes until the rest.
        self.pending.extend_from_slice(buf);
        let valid = match std::str::from_utf8(&self.pending) {
            Ok(_) => self.pending.len(),
            Err(e) if e.error_len().is_none() => e.valid_up_to(),
            Err(_) => {
                return Err(std::io::Error::new(std::io::ErrorKind::InvalidData, "output is not UTF-8"));
            }
        };
        let rest = self.pending.split_off(valid);
        let text = String::from_utf8(std::mem::replace(&mut self.pending, rest))
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        self.encode(&text)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_in_every_encoding_even_split_inside_a_character() {
        let text = "Müller;Straße;€\r\n";
        for enc in
            [TextEncoding::Utf8, TextEncoding::Utf16Le, TextEncoding::Utf16Be, TextEncoding::Windows1252]
        {
            let mut out = Encoder::new(Vec::new(), enc);
            for chunk in text.as_bytes().chunks(1) {
                out.write_all(chunk).expect("write");
            }
            let bytes = out.inner;
            let mut back = String::new();
            enc.decoder(std::io::Cursor::new(bytes)).read_to_string(&mut back).expect("read");
            assert_eq!(back, text, "{enc:?}");
        }
    }
}
