//! Prints how a routing table decides a request: `cargo run -p rampart --example explain_route`.
//!
//! The table is the forward-auth trap of the Authentik guide: an app router listing several
//! hosts is longer — so higher priority — than the outpost router for one of them.

use rampart::request::RequestView;
use rampart::table::{Router, RoutingTable, TableOptions};

fn main() {
    let built = RoutingTable::build(
        [
            Router::new(
                "app@docker",
                "Host(`a.example`) || Host(`b.example`) || Host(`c.example`) || Host(`d.example`)",
                (),
            ),
            Router::new(
                "outpost@docker",
                "Host(`a.example`) && PathPrefix(`/outpost.goauthentik.io/`)",
                (),
            ),
            Router::new("other@file", "Host(`other.example`)", ()),
        ],
        &TableOptions::default(),
    );
    let view = RequestView::new("GET", "a.example", "/outpost.goauthentik.io/start");
    println!("{}", built.table.explain(&view));
}
