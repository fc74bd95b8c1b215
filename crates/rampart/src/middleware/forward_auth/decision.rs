//! An auth decision — asked, shared by a coalesced flight, or from the cache — and how its
//! identity headers reach the request.

use std::sync::Arc;

use http::HeaderMap;

use super::cache::Outcome;
use super::deny::Answer;
use super::success::ResponseHeaders;
use crate::error::RequestError;

/// Where an auth decision came from; each form is borrowed as an [`Outcome`] without copying
/// the auth answer (a cache hit shares the stored answer).
pub(super) enum Decision {
    /// This request's own exchange.
    Asked(Outcome),
    /// A coalesced exchange's outcome.
    Shared(Arc<Outcome>),
    /// A stored 2xx answer.
    Cached(Arc<Answer>),
}

impl Decision {
    pub(super) fn outcome(&self) -> Result<&Answer, &RequestError> {
        match self {
            Decision::Asked(o) => o.as_ref(),
            Decision::Shared(o) => o.as_ref().as_ref(),
            Decision::Cached(a) => Ok(a),
        }
    }

    /// Copies the answer's identity headers onto `request`. The answer is this request's
    /// alone unless a flight shared it or the cache holds it: owning it lets the values move
    /// instead of being cloned.
    pub(super) fn propagate(self, headers: &ResponseHeaders, request: &mut HeaderMap) {
        match self {
            Decision::Asked(Ok(a)) => headers.apply_owned(request, a.headers),
            Decision::Asked(Err(_)) => {}
            Decision::Shared(o) => match Arc::try_unwrap(o) {
                Ok(Ok(a)) => headers.apply_owned(request, a.headers),
                Ok(Err(_)) => {}
                Err(shared) => {
                    if let Ok(a) = &*shared {
                        headers.apply(request, &a.headers);
                    }
                }
            },
            Decision::Cached(a) => headers.apply(request, &a.headers),
        }
    }
}
