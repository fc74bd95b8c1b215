//! `Set-Cookie` as Go's `net/http` reads and writes it.
//!
//! When a 2xx auth answer sets cookies, Traefik parses the backend's `Set-Cookie` headers and
//! writes them again with Go's `Cookie.String()` (forward.go `buildModifier`): unknown
//! attributes are dropped, invalid cookies vanish, values with a space or comma are quoted,
//! `Expires` is rewritten in GMT. rampart reproduces that so responses match Traefik's.

use std::fmt::Write as _;

/// A cookie as Go's `http.Cookie` holds it after `readSetCookies`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[expect(
    clippy::struct_excessive_bools,
    reason = "mirrors Go's http.Cookie, one field per attribute"
)]
pub(crate) struct SetCookie {
    pub(crate) name: String,
    value: String,
    quoted: bool,
    path: String,
    domain: String,
    /// Unix seconds; `None` when absent or unparsable.
    expires: Option<i64>,
    /// Go's `MaxAge`: 0 absent, -1 delete now, > 0 seconds.
    max_age: i64,
    secure: bool,
    http_only: bool,
    same_site: Option<&'static str>,
    partitioned: bool,
}

fn is_token_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b)
}

fn valid_value_byte(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b'"' && b != b';' && b != b'\\'
}

fn valid_path_byte(b: u8) -> bool {
    (0x20..0x7f).contains(&b) && b != b';'
}

/// Go's `parseCookieValue`.
fn parse_value(raw: &str, allow_quote: bool) -> Option<(&str, bool)> {
    let (v, quoted) = if allow_quote && raw.len() > 1 && raw.starts_with('"') && raw.ends_with('"')
    {
        (&raw[1..raw.len() - 1], true)
    } else {
        (raw, false)
    };
    v.bytes().all(valid_value_byte).then_some((v, quoted))
}

/// Go's `textproto.TrimString`: ASCII space and tab (and CR/LF) only.
fn trim(s: &str) -> &str {
    s.trim_matches([' ', '\t', '\r', '\n'])
}

impl SetCookie {
    /// Go's `readSetCookies` for one header line; `None` for a line Go drops.
    pub(crate) fn parse(line: &str) -> Option<SetCookie> {
        let mut parts = trim(line).split(';');
        let first = trim(parts.next()?);
        let (name, value) = first.split_once('=')?;
        let name = trim(name);
        if name.is_empty() || !name.bytes().all(is_token_byte) {
            return None;
        }
        let (value, quoted) = parse_value(value, true)?;
        let mut c = SetCookie {
            name: name.to_owned(),
            value: value.to_owned(),
            quoted,
            ..SetCookie::default()
        };
        for part in parts {
            let part = trim(part);
            if part.is_empty() {
                continue;
            }
            let (attr, val) = part.split_once('=').unwrap_or((part, ""));
            if !attr.is_ascii() {
                continue;
            }
            let Some((val, _)) = parse_value(val, false) else {
                continue;
            };
            match attr.to_ascii_lowercase().as_str() {
                "samesite" => {
                    c.same_site = match val.to_ascii_lowercase().as_str() {
                        "lax" => Some("Lax"),
                        "strict" => Some("Strict"),
                        "none" => Some("None"),
                        _ => None,
                    };
                }
                "secure" => c.secure = true,
                "httponly" => c.http_only = true,
                "domain" => val.clone_into(&mut c.domain),
                "max-age" => {
                    // Go: no sign, no leading zero (except "0" itself), fits an int.
                    let Ok(secs) = val.parse::<i64>() else {
                        continue;
                    };
                    if secs != 0 && val.starts_with('0') {
                        continue;
                    }
                    c.max_age = if secs <= 0 { -1 } else { secs };
                }
                "expires" => c.expires = parse_http_time(val),
                "path" => val.clone_into(&mut c.path),
                "partitioned" => c.partitioned = true,
                _ => {}
            }
        }
        Some(c)
    }

    /// Go's `Cookie.String()`.
    pub(crate) fn serialize(&self) -> String {
        let mut out = String::with_capacity(self.name.len() + self.value.len() + 64);
        out.push_str(&self.name);
        out.push('=');
        let value: String = self
            .value
            .bytes()
            .filter(|&b| valid_value_byte(b))
            .map(char::from)
            .collect();
        if !value.is_empty() && (self.quoted || value.contains([' ', ','])) {
            let _ = write!(out, "\"{value}\"");
        } else {
            out.push_str(&value);
        }
        if !self.path.is_empty() {
            out.push_str("; Path=");
            out.extend(
                self.path
                    .bytes()
                    .filter(|&b| valid_path_byte(b))
                    .map(char::from),
            );
        }
        if !self.domain.is_empty() && valid_domain(&self.domain) {
            out.push_str("; Domain=");
            out.push_str(self.domain.strip_prefix('.').unwrap_or(&self.domain));
        }
        if let Some(t) = self.expires.filter(|&t| t >= YEAR_1601) {
            out.push_str("; Expires=");
            format_http_time(t, &mut out);
        }
        if self.max_age > 0 {
            let _ = write!(out, "; Max-Age={}", self.max_age);
        } else if self.max_age < 0 {
            out.push_str("; Max-Age=0");
        }
        if self.http_only {
            out.push_str("; HttpOnly");
        }
        if self.secure {
            out.push_str("; Secure");
        }
        if let Some(s) = self.same_site {
            let _ = write!(out, "; SameSite={s}");
        }
        if self.partitioned {
            out.push_str("; Partitioned");
        }
        out
    }
}

/// Go's `validCookieDomain`: a host name (`isCookieDomainName`) or an IPv4 address.
fn valid_domain(d: &str) -> bool {
    if d.parse::<std::net::Ipv4Addr>().is_ok() {
        return true;
    }
    let s = d.strip_prefix('.').unwrap_or(d);
    if d.is_empty() || d.len() > 255 {
        return false;
    }
    let (mut last, mut letter, mut part) = (b'.', false, 0usize);
    for c in s.bytes() {
        match c {
            b'a'..=b'z' | b'A'..=b'Z' => {
                letter = true;
                part += 1;
            }
            b'0'..=b'9' => part += 1,
            b'-' if last != b'.' => part += 1,
            b'.' if last != b'.' && last != b'-' && (1..=63).contains(&part) => part = 0,
            _ => return false,
        }
        last = c;
    }
    last != b'-' && part <= 63 && letter
}

/// 1601-01-01T00:00:00Z: Go writes `Expires` only from this year on (`validCookieExpires`).
const YEAR_1601: i64 = -11_644_473_600;

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

fn civil_from_days(z: i64) -> (i64, i64, i64) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// Parses Go's `time.RFC1123` (`Mon, 02 Jan 2006 15:04:05 MST`) or its dashed variant
/// (`Mon, 02-Jan-2006 15:04:05 MST`). A zone name Go does not know is read as UTC, as Go does.
fn parse_http_time(s: &str) -> Option<i64> {
    let (wd, rest) = s.split_once(", ")?;
    if !DAYS.contains(&wd) {
        return None;
    }
    let b = rest.as_bytes();
    if b.len() < 24 || !(b[2] == b' ' && b[6] == b' ' || b[2] == b'-' && b[6] == b'-') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        let t = rest.get(r)?;
        t.bytes()
            .all(|c| c.is_ascii_digit())
            .then(|| t.parse().ok())?
    };
    let day = num(0..2)?;
    let month = MONTHS
        .iter()
        .position(|m| *m == rest.get(3..6).unwrap_or(""))?;
    let year = num(7..11)?;
    if b[11] != b' ' || b[14] != b':' || b[17] != b':' || b[20] != b' ' {
        return None;
    }
    let (h, mi, sec) = (num(12..14)?, num(15..17)?, num(18..20)?);
    let zone = &rest[21..];
    if !(zone.len() >= 3 && zone.len() <= 5 && zone.bytes().all(|c| c.is_ascii_uppercase())) {
        return None;
    }
    let month = i64::try_from(month).ok()? + 1;
    if !(1..=31).contains(&day) || h > 23 || mi > 59 || sec > 59 {
        return None;
    }
    Some(days_from_civil(year, month, day) * 86_400 + h * 3600 + mi * 60 + sec)
}

/// Writes `t` as `Mon, 02 Jan 2006 15:04:05 GMT` (Go's `http.TimeFormat`).
fn format_http_time(t: i64, out: &mut String) {
    let days = t.div_euclid(86_400);
    let secs = t.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    let wd = DAYS[usize::try_from(days.rem_euclid(7)).unwrap_or(0)];
    let month = MONTHS[usize::try_from(m - 1).unwrap_or(0)];
    let _ = write!(
        out,
        "{wd}, {d:02} {month} {y:04} {:02}:{:02}:{:02} GMT",
        secs / 3600,
        secs % 3600 / 60,
        secs % 60
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round(s: &str) -> Option<String> {
        SetCookie::parse(s).map(|c| c.serialize())
    }

    #[test]
    fn plain_cookies_are_unchanged() {
        assert_eq!(round("authCookie=Backend").unwrap(), "authCookie=Backend");
        assert_eq!(
            round("example=testing; Path=/").unwrap(),
            "example=testing; Path=/"
        );
    }

    #[test]
    fn attributes_are_rewritten_in_gos_order_and_unknown_ones_dropped() {
        assert_eq!(
            round("s=1; SameSite=lax; secure; Priority=High; HttpOnly; path=/a; Max-Age=60; domain=.Example.com")
                .unwrap(),
            "s=1; Path=/a; Domain=Example.com; Max-Age=60; HttpOnly; Secure; SameSite=Lax"
        );
        assert_eq!(round("s=1; Max-Age=-5").unwrap(), "s=1; Max-Age=0");
        assert_eq!(round("s=1; Max-Age=05").unwrap(), "s=1");
        assert_eq!(round("s=\"a b\"").unwrap(), "s=\"a b\"");
        assert_eq!(round("s=a b").unwrap(), "s=\"a b\"");
        assert_eq!(round("s=1; Partitioned").unwrap(), "s=1; Partitioned");
        assert_eq!(round("s=1; Domain=bad..domain").unwrap(), "s=1");
    }

    #[test]
    fn invalid_cookies_are_dropped() {
        assert_eq!(round("noequals"), None);
        assert_eq!(round("=value"), None);
        assert_eq!(round("bad name=1"), None);
        assert_eq!(round("n=a\\b"), None);
    }

    #[test]
    fn expires_is_normalised_to_gmt() {
        assert_eq!(
            round("s=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT").unwrap(),
            "s=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT"
        );
        assert_eq!(
            round("s=1; expires=Wed, 21-Oct-2015 07:28:00 UTC").unwrap(),
            "s=1; Expires=Wed, 21 Oct 2015 07:28:00 GMT"
        );
        assert_eq!(round("s=1; Expires=tomorrow").unwrap(), "s=1");
        assert_eq!(
            round("s=1; Expires=Mon, 01 Jan 1600 00:00:00 GMT").unwrap(),
            "s=1"
        );
        let mut out = String::new();
        format_http_time(0, &mut out);
        assert_eq!(out, "Thu, 01 Jan 1970 00:00:00 GMT");
        assert_eq!(parse_http_time("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
    }
}
