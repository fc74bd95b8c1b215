//! HTTP status code ranges as Traefik writes them: `"500"`, `"500-599"`, `"404,500-599"`.
//!
//! Used by `errors` (`status`, `statusRewrites`) and `retry` (`status`).

/// A set of inclusive status code ranges.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct StatusRanges(Vec<(u16, u16)>);

impl StatusRanges {
    /// Parses `items` (each a code, a `low-high` range, or a comma list of those), naming `key` in
    /// errors. Traefik (`types.NewHTTPCodeRanges`) does not check the codes; a code outside
    /// 100–599 or a reversed range can never match, so it is refused here.
    pub(crate) fn parse<S: AsRef<str>>(items: &[S], key: &str) -> Result<Self, String> {
        let mut ranges = Vec::new();
        for item in items {
            for part in item.as_ref().split(',') {
                let part = part.trim();
                let (low, high) = part.split_once('-').unwrap_or((part, part));
                let code = |s: &str| -> Result<u16, String> {
                    s.trim()
                        .parse::<u16>()
                        .ok()
                        .filter(|c| (100..=599).contains(c))
                        .ok_or_else(|| {
                            format!("`{part}` in `{key}` is not a status code (100-599) or range")
                        })
                };
                let (low, high) = (code(low)?, code(high)?);
                if low > high {
                    return Err(format!(
                        "`{part}` in `{key}` is an empty range ({low} > {high})"
                    ));
                }
                ranges.push((low, high));
            }
        }
        Ok(StatusRanges(ranges))
    }

    /// Whether no range is configured.
    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether `status` falls in one of the ranges.
    pub(crate) fn contains(&self, status: u16) -> bool {
        self.0
            .iter()
            .any(|&(low, high)| (low..=high).contains(&status))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_codes_ranges_and_lists() {
        let r = StatusRanges::parse(&["500-501", "503-599", "404,418"], "status").unwrap();
        for code in [500, 501, 503, 599, 404, 418] {
            assert!(r.contains(code), "{code}");
        }
        for code in [200, 502, 403, 600] {
            assert!(!r.contains(code), "{code}");
        }
    }

    #[test]
    fn refuses_what_can_never_match() {
        for bad in ["abc", "600", "99", "599-500", "500-", "-500", ""] {
            let err = StatusRanges::parse(&[bad], "status").unwrap_err();
            assert!(err.contains("status"), "{err}");
        }
    }
}
