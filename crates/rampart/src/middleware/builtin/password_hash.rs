//! htpasswd password hashes, as Traefik checks them (`abbot/go-http-auth`'s `CheckSecret`):
//! bcrypt (`$2a$`, `$2b$`, `$2x$`, `$2y$`), SHA-1 (`{SHA}` + base64) and MD5-crypt (`$apr1$`, and
//! any other `$magic$salt$hash` with the same algorithm, such as `$1$`).
//!
//! Unlike Traefik, an entry in another form (a plain-text password, DES crypt, `$5$`/`$6$`) is
//! refused when the middleware is built, instead of silently never matching.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use md5::{Digest as _, Md5};
use sha1::Sha1;
use subtle::ConstantTimeEq;

/// A parsed password hash.
#[derive(Clone, PartialEq, Eq)]
pub(crate) enum PasswordHash {
    /// A bcrypt hash (verified off the async threads: it is slow on purpose).
    Bcrypt(String),
    /// `{SHA}` + base64(SHA-1(password)).
    Sha1([u8; 20]),
    /// MD5-crypt: the full `$magic$salt$hash` string.
    Md5Crypt {
        full: String,
        magic: String,
        salt: String,
    },
}

impl std::fmt::Debug for PasswordHash {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PasswordHash::Bcrypt(_) => "Bcrypt(..)",
            PasswordHash::Sha1(_) => "Sha1(..)",
            PasswordHash::Md5Crypt { .. } => "Md5Crypt(..)",
        })
    }
}

impl PasswordHash {
    /// Parses `hash`; the error says which forms are accepted (never the hash itself).
    pub(crate) fn parse(hash: &str) -> Result<Self, String> {
        const FORMS: &str =
            "bcrypt ($2y$…), MD5 ($apr1$…) or SHA1 ({SHA}…) as htpasswd writes them";
        if ["$2a$", "$2b$", "$2x$", "$2y$"]
            .iter()
            .any(|p| hash.starts_with(p))
        {
            // bcrypt's `$2x$` is read as `$2y$` (as go-http-auth does); check the shape now.
            let normalized = normalize_bcrypt(hash);
            return normalized
                .parse::<bcrypt::HashParts>()
                .map(|_| PasswordHash::Bcrypt(normalized))
                .map_err(|_| format!("malformed bcrypt hash; expected {FORMS}"));
        }
        if let Some(b64) = hash.strip_prefix("{SHA}") {
            let bytes = STANDARD
                .decode(b64)
                .map_err(|_| format!("malformed {{SHA}} hash; expected {FORMS}"))?;
            let digest: [u8; 20] = bytes
                .try_into()
                .map_err(|_| format!("{{SHA}} hash of the wrong length; expected {FORMS}"))?;
            return Ok(PasswordHash::Sha1(digest));
        }
        let parts: Vec<&str> = hash.splitn(4, '$').collect();
        if let ["", magic, salt, digest] = parts[..]
            && matches!(magic, "apr1" | "1")
            && salt.len() <= 8
            && digest.len() == 22
        {
            return Ok(PasswordHash::Md5Crypt {
                full: hash.to_owned(),
                magic: format!("${magic}$"),
                salt: salt.to_owned(),
            });
        }
        Err(format!("not a supported password hash; expected {FORMS}"))
    }

    /// Whether `password` matches, comparing in constant time.
    pub(crate) fn verify(&self, password: &[u8]) -> bool {
        match self {
            PasswordHash::Bcrypt(hash) => bcrypt::verify(password, hash).unwrap_or(false),
            PasswordHash::Sha1(digest) => Sha1::digest(password).as_slice().ct_eq(digest).into(),
            PasswordHash::Md5Crypt { full, magic, salt } => {
                md5_crypt(password, salt.as_bytes(), magic.as_bytes())
                    .as_bytes()
                    .ct_eq(full.as_bytes())
                    .into()
            }
        }
    }

    /// Whether verifying costs enough that it must not run on an async worker thread.
    pub(crate) fn is_slow(&self) -> bool {
        matches!(self, PasswordHash::Bcrypt(_))
    }
}

fn normalize_bcrypt(hash: &str) -> String {
    match hash.strip_prefix("$2x$") {
        Some(rest) => format!("$2y${rest}"),
        None => hash.to_owned(),
    }
}

const ITOA64: &[u8; 64] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// The MD5-crypt algorithm (Poul-Henning Kamp's, as Apache's `$apr1$` uses it).
pub(crate) fn md5_crypt(password: &[u8], salt: &[u8], magic: &[u8]) -> String {
    let mut alt = Md5::new();
    alt.update(password);
    alt.update(salt);
    alt.update(password);
    let alt = alt.finalize();

    let mut ctx = Md5::new();
    ctx.update(password);
    ctx.update(magic);
    ctx.update(salt);
    for i in 0..password.len() {
        ctx.update([alt[i % 16]]);
    }
    let mut i = password.len();
    while i != 0 {
        ctx.update(if i & 1 == 0 {
            [password.first().copied().unwrap_or(0)]
        } else {
            [0]
        });
        i >>= 1;
    }
    let mut fin = ctx.finalize();

    for round in 0..1000 {
        let mut c = Md5::new();
        if round & 1 == 0 {
            c.update(fin);
        } else {
            c.update(password);
        }
        if round % 3 != 0 {
            c.update(salt);
        }
        if round % 7 != 0 {
            c.update(password);
        }
        if round & 1 == 0 {
            c.update(password);
        } else {
            c.update(fin);
        }
        fin = c.finalize();
    }

    let mut out = String::with_capacity(magic.len() + salt.len() + 23);
    out.push_str(&String::from_utf8_lossy(magic));
    out.push_str(&String::from_utf8_lossy(salt));
    out.push('$');
    let mut v: u32 = 0;
    let mut bits = 0;
    for idx in [12, 6, 0, 13, 7, 1, 14, 8, 2, 15, 9, 3, 5, 10, 4, 11] {
        v |= u32::from(fin[idx]) << bits;
        bits += 8;
        while bits > 6 {
            out.push(char::from(ITOA64[(v & 0x3f) as usize]));
            v >>= 6;
            bits -= 6;
        }
    }
    out.push(char::from(ITOA64[(v & 0x3f) as usize]));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hashes from Traefik's basic-auth tests (password = user name, `overridden` for the last).
    #[test]
    fn traefik_apr1_hashes_verify() {
        for (hash, password) in [
            ("$apr1$H6uskkkW$IgXLP6ewTrSuBkTrqE8wj/", "test"),
            ("$apr1$d9hr9HBB$4HxwgUir3HP4EsggP/QNo0", "test2"),
            ("$apr1$3rJbDP0q$RfzJiorTk78jQ1EcKqWso0", "test3"),
            ("$apr1$mK.GtItK$ncnLYvNLek0weXdxo68690", "overridden"),
        ] {
            let h = PasswordHash::parse(hash).unwrap();
            assert!(h.verify(password.as_bytes()), "{hash}");
            assert!(!h.verify(b"wrong"), "{hash}");
        }
    }

    #[test]
    fn bcrypt_sha1_and_md5_crypt() {
        let bcrypt_hash = bcrypt::hash_with_result("s3cret", 4)
            .unwrap()
            .format_for_version(bcrypt::Version::TwoY);
        let h = PasswordHash::parse(&bcrypt_hash).unwrap();
        assert!(h.is_slow());
        assert!(h.verify(b"s3cret") && !h.verify(b"s3cre"));
        // Traefik's `TestBasicAuthConcurrentHashOnce` hash: `$2a$` cost 4 of "test".
        let traefik_bcrypt =
            PasswordHash::parse("$2a$04$.8sTYfcxbSplCtoxt5TdJOgpBYkarKtZYsYfYxQ1edbYRuO1DNi0e")
                .unwrap();
        assert!(traefik_bcrypt.verify(b"test"));
        // `htpasswd -s`: {SHA} + base64(sha1("password")).
        let sha = PasswordHash::parse("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=").unwrap();
        assert!(sha.verify(b"password") && !sha.verify(b"Password"));
        // `openssl passwd -1 -salt saltsalt password`.
        let md5 = PasswordHash::parse("$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/").unwrap();
        assert!(md5.verify(b"password"));
    }

    #[test]
    fn unsupported_forms_are_refused() {
        for bad in [
            "test",
            "plain:text",
            "$6$salt$abc",
            "$5$x$y",
            "{SHA}notbase64!",
            "{SHA}AAAA",
            "$2y$04$short",
            "$apr1$toolongsalt$IgXLP6ewTrSuBkTrqE8wj/",
            "rl5BXN/5XsEBs",
        ] {
            let err = PasswordHash::parse(bad).unwrap_err();
            assert!(
                !err.contains(bad) || bad.len() < 5,
                "errors must not echo the hash: {err}"
            );
        }
    }
}
