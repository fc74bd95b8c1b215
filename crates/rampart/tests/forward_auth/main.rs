//! forwardAuth against real peers on 127.0.0.1: the testkit auth server, a hyper server in
//! front, raw HTTP/1.1 clients.

mod attacks;
mod backends;
mod extensions;
mod support;
mod traefik_cases;
