//! The `rampart` binary.

fn main() {
    eprintln!("rampart: not built yet");
    std::process::exit(2);
}
