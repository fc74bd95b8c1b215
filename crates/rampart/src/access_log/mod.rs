//! Access-log lines: what one request looked like, in Traefik's formats.
//!
//! The access log hangs off the end of the request pipeline (see [`crate::middleware`]'s phase
//! chart): once a response is complete, its facts are gathered in an [`Entry`] (borrowed from
//! the request and response, nothing copied) and written as one line.
//!
//! * [`Entry`] — the fields Traefik's access log records, named as in Traefik.
//! * [`write_common`] — Traefik's default `common` format (CLF plus request count, router,
//!   server URL and duration).
//! * [`write_generic_clf`] — `genericCLF`: the classic combined log format, for tools that parse
//!   nothing else.
//!
//! Formatting allocates nothing: it appends to a caller-owned buffer, so a writer that keeps one
//! buffer per thread (or per batch) formats every line without touching the allocator.
//!
//! ```
//! use std::time::{Duration, SystemTime};
//! use rampart::access_log::{Entry, write_common};
//!
//! let mut e = Entry::default();
//! e.client_host = Some("10.0.0.1".parse().unwrap());
//! e.start = SystemTime::UNIX_EPOCH + Duration::from_secs(1_257_894_000);
//! e.method = "GET";
//! e.path = "/foo";
//! e.protocol = "HTTP/1.1";
//! e.status = Some(200);
//! e.content_size = Some(132);
//! e.request_count = Some(1);
//! e.router_name = Some("app@file");
//! e.service_url = Some("http://10.0.0.2");
//! e.duration = Duration::from_millis(7);
//! let mut line = Vec::new();
//! write_common(&e, &mut line);
//! assert_eq!(
//!     line,
//!     b"10.0.0.1 - - [10/Nov/2009:23:00:00 +0000] \"GET /foo HTTP/1.1\" 200 132 \"-\" \"-\" 1 \"app@file\" \"http://10.0.0.2\" 7ms\n"
//! );
//! ```

mod clf;
mod timestamp;

pub use clf::{Entry, write_common, write_generic_clf};

#[cfg(test)]
mod tests;
