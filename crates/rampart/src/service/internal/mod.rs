//! Services rampart answers itself: `whoami@internal`, `noop@internal`, `ping@internal`.

mod ping;
mod whoami;

pub use ping::Ping;
pub use whoami::Whoami;

use http::StatusCode;

use crate::middleware::{BoxFuture, Endpoint};
use crate::{Body, Request, Response};

/// `noop@internal`: always `418 I'm a teapot` with an empty body (Traefik's answer for the
/// redirect routers' requests that are already on the target scheme).
#[derive(Debug, Clone, Copy, Default)]
pub struct Noop;

impl Endpoint for Noop {
    fn call<'a>(&'a self, _req: Request) -> BoxFuture<'a, Response> {
        Box::pin(async {
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::IM_A_TEAPOT;
            res
        })
    }
}
