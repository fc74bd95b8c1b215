//! The request as routing sees it, and as it is forwarded.
//!
//! The entrypoint calls [`normalize`] once per request: it answers with a 400 (a
//! [`RequestError`](crate::error::RequestError)) or a [`Normalized`] request — the
//! canonical host and routing path that rules compare, the path and query to forward. Its
//! [`Normalized::view`] is the borrowed [`RequestView`] the routing table matches.
//!
//! Traefik's order is kept: host checks, `#` denial, `%` validation, `normalizePath`,
//! `sanitizePath`, encoded-character denial, routing path; the query's `;` become `&`
//! (`AllowQuerySemicolons`) or `%3B` (`encodeQuerySemicolons`).
//!
//! hyper (through the `http` crate's URI parser) already drops a `#fragment` from the
//! request-target, so a raw `#` never reaches routing or the upstream; [`normalize`] still
//! refuses one in any target it is given.

mod host;
mod normalize;
pub(crate) mod path;
mod view;

pub(crate) mod query;

pub use normalize::{EncodedCharacters, Normalized, PathOptions, normalize, normalize_path};
pub use view::RequestView;
