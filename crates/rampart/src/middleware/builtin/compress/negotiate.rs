//! Choosing an encoding from `Accept-Encoding`, and matching media types
//! (Traefik `pkg/middlewares/compress/acceptencoding.go` and `compression_handler.go`).

use http::HeaderMap;
use http::header::ACCEPT_ENCODING;

/// A content coding rampart can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// `gzip` (flate2).
    Gzip,
    /// `br` (brotli).
    Brotli,
    /// `zstd` (libzstd).
    Zstd,
}

impl Encoding {
    pub(crate) fn parse(name: &str) -> Option<Self> {
        match name {
            "gzip" => Some(Encoding::Gzip),
            "br" => Some(Encoding::Brotli),
            "zstd" => Some(Encoding::Zstd),
            _ => None,
        }
    }

    pub(crate) fn name(self) -> &'static str {
        match self {
            Encoding::Gzip => "gzip",
            Encoding::Brotli => "br",
            Encoding::Zstd => "zstd",
        }
    }
}

/// The encoding for a request, or `None` to leave the response alone.
///
/// As Traefik: no `Accept-Encoding` means `defaultEncoding` (if any); an empty one means
/// identity; codings with `q=0` (or an unparsable q) are not acceptable; the highest q wins,
/// ties go to the earlier entry of `encodings`, with `*` ranked before and `identity` after
/// them; a winning `*` means `defaultEncoding`, else the first of `encodings`. Coding names and
/// `q` are matched case-insensitively (RFC 9110 §12.5.3; Traefik compares them as written).
pub(crate) fn choose(
    headers: &HeaderMap,
    encodings: &[Encoding],
    default: Option<Encoding>,
) -> Option<Encoding> {
    let mut values = headers.get_all(ACCEPT_ENCODING).iter().peekable();
    if values.peek().is_none() {
        return default;
    }
    let values: Vec<&str> = values.map(|v| v.to_str().unwrap_or("")).collect();
    if values.len() == 1 && values[0].is_empty() {
        return None;
    }
    // (weight, rank, coding): `*` ranks -1, `identity` after every encoding.
    let mut best: Option<(f64, isize, Option<Encoding>)> = None;
    let identity_rank = isize::try_from(encodings.len()).unwrap_or(isize::MAX);
    for item in values.iter().flat_map(|v| v.split(',')) {
        let item: String = item.chars().filter(|c| *c != ' ').collect();
        let mut parts = item.splitn(2, ';');
        let name = parts.next().unwrap_or("").to_ascii_lowercase();
        let (rank, coding) = match name.as_str() {
            "*" => (-1, None),
            "identity" => (identity_rank, None),
            other => match Encoding::parse(other)
                .and_then(|e| Some((encodings.iter().position(|x| *x == e)?, e)))
            {
                Some((i, e)) => (isize::try_from(i).unwrap_or(isize::MAX), Some(e)),
                None => continue,
            },
        };
        let mut weight = 1.0;
        if let Some(param) = parts.next()
            && param.len() >= 2
            && param[..2].eq_ignore_ascii_case("q=")
        {
            weight = param[2..].parse::<f64>().unwrap_or(0.0);
            if weight == 0.0 || weight.is_nan() {
                continue;
            }
        }
        let better = match best {
            None => true,
            Some((w, r, _)) => match weight.partial_cmp(&w) {
                Some(std::cmp::Ordering::Greater) => true,
                Some(std::cmp::Ordering::Equal) => rank < r,
                _ => false,
            },
        };
        if better {
            best = Some((weight, rank, coding));
        }
    }
    match best? {
        (_, -1, _) => default.or_else(|| encodings.first().copied()),
        (_, _, coding) => coding,
    }
}

/// A media type with its parameters, as Go's `mime.ParseMediaType` returns it (type lower-cased,
/// parameter names lower-cased).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct MediaType {
    pub(crate) essence: String,
    pub(crate) params: Vec<(String, String)>,
}

/// Parses a `Content-Type`-like value; `None` when it is not one.
pub(crate) fn parse_media_type(v: &str) -> Option<MediaType> {
    let mut parts = v.split(';');
    let essence = parts.next()?.trim().to_ascii_lowercase();
    let token = |s: &str| {
        !s.is_empty()
            && s.bytes()
                .all(|b| b.is_ascii_graphic() && !b"()<>@,;:\\\"/[]?=".contains(&b))
    };
    let (t, sub) = essence.split_once('/')?;
    if !token(t) || !token(sub) {
        return None;
    }
    let mut params = Vec::new();
    for p in parts {
        let p = p.trim();
        if p.is_empty() {
            continue;
        }
        let (k, v) = p.split_once('=')?;
        let v = v.trim();
        let v = v
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .unwrap_or(v);
        params.push((k.trim().to_ascii_lowercase(), v.to_owned()));
    }
    Some(MediaType { essence, params })
}

impl MediaType {
    /// Traefik's `parsedContentType.equals`: same type, and when this one has parameters, the
    /// very same parameters.
    pub(crate) fn matches(&self, other: &MediaType) -> bool {
        if self.essence != other.essence {
            return false;
        }
        self.params.is_empty()
            || (self.params.len() == other.params.len()
                && self
                    .params
                    .iter()
                    .all(|(k, v)| other.params.iter().any(|(k2, v2)| k == k2 && v == v2)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pick(ae: Option<&str>, default: Option<Encoding>) -> Option<&'static str> {
        let mut h = HeaderMap::new();
        if let Some(ae) = ae {
            h.insert(ACCEPT_ENCODING, ae.parse().unwrap());
        }
        choose(
            &h,
            &[Encoding::Gzip, Encoding::Brotli, Encoding::Zstd],
            default,
        )
        .map(Encoding::name)
    }

    /// Traefik's `TestNegotiation` and `acceptencoding_test.go` cases (default encodings
    /// `gzip, br, zstd`).
    #[test]
    fn traefik_negotiation_table() {
        let cases: &[(Option<&str>, Option<&str>)] = &[
            (None, None),
            (Some("notreal"), None),
            (Some(""), None),
            (Some("identity"), None),
            (Some("gzip"), Some("gzip")),
            (Some("br"), Some("br")),
            (Some("zstd"), Some("zstd")),
            (Some("br;q=0.8, gzip;q=0.6"), Some("br")),
            (Some("gzip;q=1.0, br;q=0.8"), Some("gzip")),
            (Some("gzip, br"), Some("gzip")),
            (Some("zstd;q=0.9, br;q=0.8, gzip;q=0.6"), Some("zstd")),
            (Some("gzip;q=0.8, br;q=1.0, zstd;q=0.7"), Some("br")),
            (Some("gzip, br, zstd"), Some("gzip")),
            (Some("zstd, br, gzip"), Some("gzip")),
            (Some("gzip;q=0, br"), Some("br")),
            (Some("gzip;q=abc"), None),
            (Some("identity;q=0, br"), Some("br")),
            (Some("identity, br;q=0.5"), None),
            // Documented: `*` compresses with the first encoding (Traefik's gzip path does not).
            (Some("*"), Some("gzip")),
            (Some("*;q=0"), None),
            (Some("br;q=0.5, *;q=0.1"), Some("br")),
            (Some("GZIP;Q=0.5, br;q=0.4"), Some("gzip")),
        ];
        for (ae, want) in cases {
            assert_eq!(pick(*ae, None), *want, "{ae:?}");
        }
        assert_eq!(pick(None, Some(Encoding::Brotli)), Some("br"));
        assert_eq!(pick(Some("*"), Some(Encoding::Zstd)), Some("zstd"));
    }

    #[test]
    fn media_types_like_go() {
        let a = parse_media_type("Text/HTML; Charset=\"utf-8\"").unwrap();
        assert_eq!(a.essence, "text/html");
        assert_eq!(a.params, [("charset".to_owned(), "utf-8".to_owned())]);
        assert!(parse_media_type("text").is_none());
        assert!(parse_media_type("text/html; x").is_none());
        let plain = parse_media_type("text/html").unwrap();
        assert!(plain.matches(&a));
        assert!(!a.matches(&plain));
    }
}
