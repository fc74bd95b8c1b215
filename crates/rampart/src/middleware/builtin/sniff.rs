//! Content-type sniffing: Go's `http.DetectContentType` (the algorithm of the WHATWG MIME
//! Sniffing standard that Go implements), used by `contentType` and `compress` when a response
//! has no `Content-Type`.

/// How many leading bytes the algorithm looks at.
pub(crate) const SNIFF_LEN: usize = 512;

enum Sig {
    /// Case-insensitive HTML tag after leading whitespace, then a space or `>`.
    Html(&'static [u8]),
    /// `data & mask == pat`, optionally after leading whitespace.
    Masked {
        mask: &'static [u8],
        pat: &'static [u8],
        skip_ws: bool,
        ct: &'static str,
    },
    /// A plain prefix.
    Exact(&'static [u8], &'static str),
    /// The ISO base media file signature with an `mp4` brand.
    Mp4,
    /// No binary bytes: text.
    Text,
}

const HTML: &str = "text/html; charset=utf-8";
const RIFF4: &[u8] = b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF";

/// Go's `sniffSignatures`, in order.
static SIGNATURES: &[Sig] = &[
    Sig::Html(b"<!DOCTYPE HTML"),
    Sig::Html(b"<HTML"),
    Sig::Html(b"<HEAD"),
    Sig::Html(b"<SCRIPT"),
    Sig::Html(b"<IFRAME"),
    Sig::Html(b"<H1"),
    Sig::Html(b"<DIV"),
    Sig::Html(b"<FONT"),
    Sig::Html(b"<TABLE"),
    Sig::Html(b"<A"),
    Sig::Html(b"<STYLE"),
    Sig::Html(b"<TITLE"),
    Sig::Html(b"<B"),
    Sig::Html(b"<BODY"),
    Sig::Html(b"<BR"),
    Sig::Html(b"<P"),
    Sig::Html(b"<!--"),
    Sig::Masked { mask: b"\xFF\xFF\xFF\xFF\xFF", pat: b"<?xml", skip_ws: true, ct: "text/xml; charset=utf-8" },
    Sig::Exact(b"%PDF-", "application/pdf"),
    Sig::Exact(b"%!PS-Adobe-", "application/postscript"),
    Sig::Masked { mask: b"\xFF\xFF\x00\x00", pat: b"\xFE\xFF\x00\x00", skip_ws: false, ct: "text/plain; charset=utf-16be" },
    Sig::Masked { mask: b"\xFF\xFF\x00\x00", pat: b"\xFF\xFE\x00\x00", skip_ws: false, ct: "text/plain; charset=utf-16le" },
    Sig::Masked { mask: b"\xFF\xFF\xFF\x00", pat: b"\xEF\xBB\xBF\x00", skip_ws: false, ct: "text/plain; charset=utf-8" },
    Sig::Exact(b"\x00\x00\x01\x00", "image/x-icon"),
    Sig::Exact(b"\x00\x00\x02\x00", "image/x-icon"),
    Sig::Exact(b"BM", "image/bmp"),
    Sig::Exact(b"GIF87a", "image/gif"),
    Sig::Exact(b"GIF89a", "image/gif"),
    Sig::Masked {
        mask: b"\xFF\xFF\xFF\xFF\x00\x00\x00\x00\xFF\xFF\xFF\xFF\xFF\xFF",
        pat: b"RIFF\x00\x00\x00\x00WEBPVP",
        skip_ws: false,
        ct: "image/webp",
    },
    Sig::Exact(b"\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
    Sig::Exact(b"\xFF\xD8\xFF", "image/jpeg"),
    Sig::Masked { mask: RIFF4, pat: b"FORM\x00\x00\x00\x00AIFF", skip_ws: false, ct: "audio/aiff" },
    Sig::Masked { mask: b"\xFF\xFF\xFF", pat: b"ID3", skip_ws: false, ct: "audio/mpeg" },
    Sig::Masked { mask: b"\xFF\xFF\xFF\xFF\xFF", pat: b"OggS\x00", skip_ws: false, ct: "application/ogg" },
    Sig::Masked { mask: b"\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF", pat: b"MThd\x00\x00\x00\x06", skip_ws: false, ct: "audio/midi" },
    Sig::Masked { mask: RIFF4, pat: b"RIFF\x00\x00\x00\x00AVI ", skip_ws: false, ct: "video/avi" },
    Sig::Masked { mask: RIFF4, pat: b"RIFF\x00\x00\x00\x00WAVE", skip_ws: false, ct: "audio/wave" },
    Sig::Mp4,
    Sig::Exact(b"\x1A\x45\xDF\xA3", "video/webm"),
    Sig::Masked {
        mask: b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\xFF\xFF",
        pat: b"\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00LP",
        skip_ws: false,
        ct: "application/vnd.ms-fontobject",
    },
    Sig::Exact(b"\x00\x01\x00\x00", "font/ttf"),
    Sig::Exact(b"OTTO", "font/otf"),
    Sig::Exact(b"ttcf", "font/collection"),
    Sig::Exact(b"wOFF", "font/woff"),
    Sig::Exact(b"wOF2", "font/woff2"),
    Sig::Exact(b"\x1F\x8B\x08", "application/x-gzip"),
    Sig::Exact(b"PK\x03\x04", "application/zip"),
    Sig::Exact(b"Rar!\x1A\x07\x00", "application/x-rar-compressed"),
    Sig::Exact(b"Rar!\x1A\x07\x01\x00", "application/x-rar-compressed"),
    Sig::Exact(b"\x00\x61\x73\x6D", "application/wasm"),
    Sig::Text,
];

fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0C' | b'\r' | b' ')
}

impl Sig {
    fn matches(&self, data: &[u8], first_non_ws: usize) -> Option<&'static str> {
        match self {
            Sig::Html(tag) => {
                let data = &data[first_non_ws..];
                if data.len() < tag.len() + 1 {
                    return None;
                }
                let same = tag.iter().zip(data).all(|(&t, &d)| {
                    let d = if t.is_ascii_uppercase() { d & 0xDF } else { d };
                    t == d
                });
                (same && matches!(data[tag.len()], b' ' | b'>')).then_some(HTML)
            }
            Sig::Masked {
                mask,
                pat,
                skip_ws,
                ct,
            } => {
                let data = if *skip_ws {
                    &data[first_non_ws..]
                } else {
                    data
                };
                (data.len() >= pat.len()
                    && pat
                        .iter()
                        .zip(*mask)
                        .zip(data)
                        .all(|((p, m), d)| d & m == *p))
                .then_some(*ct)
            }
            Sig::Exact(sig, ct) => data.starts_with(sig).then_some(*ct),
            Sig::Mp4 => mp4(data).then_some("video/mp4"),
            Sig::Text => data[first_non_ws..]
                .iter()
                .all(|&b| {
                    !(b <= 0x08
                        || b == 0x0B
                        || (0x0E..=0x1A).contains(&b)
                        || (0x1C..=0x1F).contains(&b))
                })
                .then_some("text/plain; charset=utf-8"),
        }
    }
}

fn mp4(data: &[u8]) -> bool {
    if data.len() < 12 {
        return false;
    }
    let box_size = u32::from_be_bytes([data[0], data[1], data[2], data[3]]) as usize;
    if data.len() < box_size || !box_size.is_multiple_of(4) || &data[4..8] != b"ftyp" {
        return false;
    }
    (8..box_size)
        .step_by(4)
        .filter(|&st| st != 12)
        .any(|st| data.get(st..st + 3) == Some(b"mp4"))
}

/// Go's `http.DetectContentType`: always a valid MIME type, `application/octet-stream` when
/// nothing matches.
pub(crate) fn detect(data: &[u8]) -> &'static str {
    let data = &data[..data.len().min(SNIFF_LEN)];
    let first_non_ws = data.iter().position(|&b| !is_ws(b)).unwrap_or(data.len());
    SIGNATURES
        .iter()
        .find_map(|s| s.matches(data, first_non_ws))
        .unwrap_or("application/octet-stream")
}

#[cfg(test)]
mod tests {
    use super::detect;

    /// Cases from Go's `net/http/sniff_test.go`.
    #[test]
    fn go_sniff_table() {
        let cases: &[(&[u8], &str)] = &[
            (b"", "text/plain; charset=utf-8"),
            (b"\x01\x02\x03", "application/octet-stream"),
            (b"\x00\x00\x00\x00", "application/octet-stream"),
            (b"Hello, world!", "text/plain; charset=utf-8"),
            (b"\xFE\xFF\x00\x20", "text/plain; charset=utf-16be"),
            (b"\xFF\xFE\x20\x00", "text/plain; charset=utf-16le"),
            (b"\xEF\xBB\xBFhi", "text/plain; charset=utf-8"),
            (b"<!DOCTYPE HTML><html>", "text/html; charset=utf-8"),
            (b"\n<html><head></head></html>", "text/html; charset=utf-8"),
            (
                b"<HtMl><bOdY>blah blah blah</body></html>",
                "text/html; charset=utf-8",
            ),
            (b"<HTML", "text/plain; charset=utf-8"),
            (b"<a href=x>", "text/html; charset=utf-8"),
            (b"<!-- c -->", "text/html; charset=utf-8"),
            (b"<?xml!", "text/xml; charset=utf-8"),
            (b"  <?xml version=\"1.0\"?>", "text/xml; charset=utf-8"),
            (b"{\"json\": true}", "text/plain; charset=utf-8"),
            (b"%PDF-1.4", "application/pdf"),
            (b"%!PS-Adobe-3.0", "application/postscript"),
            (b"GIF87a", "image/gif"),
            (b"GIF89a...", "image/gif"),
            (b"\x89PNG\x0D\x0A\x1A\x0A", "image/png"),
            (b"\xFF\xD8\xFF", "image/jpeg"),
            (b"BMxx", "image/bmp"),
            (b"RIFF\x00\x00\x00\x00WEBPVP", "image/webp"),
            (b"\x00\x00\x01\x00", "image/x-icon"),
            (b"ID3\x03", "audio/mpeg"),
            (b"OggS\x00\x02", "application/ogg"),
            (b"MThd\x00\x00\x00\x06\x00\x01", "audio/midi"),
            (b"RIFF\x00\x00\x00\x00WAVEfmt ", "audio/wave"),
            (b"RIFF\x00\x00\x00\x00AVI LIST", "video/avi"),
            (b"FORM\x00\x00\x00\x00AIFFCOMM", "audio/aiff"),
            (
                b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom<\x06t\xbf",
                "video/mp4",
            ),
            (b"\x1A\x45\xDF\xA3\x01", "video/webm"),
            (b"wOFF", "font/woff"),
            (b"wOF2", "font/woff2"),
            (b"\x1F\x8B\x08", "application/x-gzip"),
            (b"PK\x03\x04", "application/zip"),
            (b"Rar!\x1A\x07\x00", "application/x-rar-compressed"),
            (b"\x00\x61\x73\x6D\x01\x00", "application/wasm"),
        ];
        for (data, want) in cases {
            assert_eq!(detect(data), *want, "{data:?}");
        }
        // Only the first 512 bytes count.
        let mut long = vec![b'a'; 512];
        long.push(0x01);
        assert_eq!(detect(&long), "text/plain; charset=utf-8");
    }
}
