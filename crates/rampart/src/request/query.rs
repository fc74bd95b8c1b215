//! Go's `url.ParseQuery`, read in place: what `Query` and `QueryRegexp` see.
//!
//! Go splits the raw query on `&` only, drops a pair that contains `;` (since Go 1.17) or a
//! malformed `%` escape, splits a pair at its first `=` (none: the value is empty), and
//! decodes `+` as a space and `%XX` as a byte. Keys and values are case-sensitive.

use std::borrow::Cow;

/// The decoded `(key, value)` pairs of `raw`, in order, with Go's dropping rules.
pub(crate) fn pairs(raw: &str) -> impl Iterator<Item = (Cow<'_, [u8]>, Cow<'_, [u8]>)> {
    raw.split('&').filter_map(|pair| {
        if pair.is_empty() || pair.contains(';') {
            return None;
        }
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        Some((unescape(key)?, unescape(value)?))
    })
}

/// The values of `key`, decoded, in order.
pub(crate) fn values<'a>(raw: &'a str, key: &'a str) -> impl Iterator<Item = Cow<'a, [u8]>> {
    pairs(raw).filter_map(move |(k, v)| (*k == *key.as_bytes()).then_some(v))
}

/// Go's `QueryUnescape`: `+` is a space, `%XX` a byte; `None` for a malformed escape.
pub(crate) fn unescape(s: &str) -> Option<Cow<'_, [u8]>> {
    let bytes = s.as_bytes();
    if !bytes.iter().any(|b| matches!(b, b'%' | b'+')) {
        return Some(Cow::Borrowed(bytes));
    }
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = hex(*bytes.get(i + 1)?)?;
                let lo = hex(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(Cow::Owned(out))
}

pub(crate) fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(raw: &str, key: &str) -> Vec<String> {
        values(raw, key)
            .map(|v| String::from_utf8_lossy(&v).into_owned())
            .collect()
    }

    #[test]
    fn go_parse_query_semantics() {
        assert_eq!(vals("q=a&q=b", "q"), ["a", "b"]);
        assert_eq!(vals("mobile", "mobile"), [""]);
        assert_eq!(vals("a=1;q=x", "q"), Vec::<String>::new()); // pair with ';' dropped
        assert_eq!(vals("q=a%20b+c", "q"), ["a b c"]);
        assert_eq!(vals("q=%zz&q=ok", "q"), ["ok"]); // malformed pair dropped
        assert_eq!(vals("%71=1", "q"), ["1"]); // keys are decoded too
        assert_eq!(vals("q=b=ar", "q"), ["b=ar"]);
        assert_eq!(vals("&&q=1&", "q"), ["1"]);
        assert_eq!(vals("Q=1", "q"), Vec::<String>::new());
        assert_eq!(vals("=v", ""), ["v"]);
    }
}
