//! The `rampart` binary: parse the command line, then run, check or explain.

use std::collections::BTreeMap;
use std::process::ExitCode;

/// mimalloc: fewer instructions per allocation than glibc's malloc on the request path, and
/// idle connections' buffers cost only the pages they touched (10,000 idle keep-alive
/// connections: BENCHMARKS.md).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use rampart::middleware::Registry;
use rampart_proxy::cli::{self, Command};
use rampart_proxy::{Options, check, explain};

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let command = match cli::parse(&args) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("rampart: {e}");
            return ExitCode::from(2);
        }
    };
    let env: BTreeMap<String, String> = std::env::vars().collect();
    match command {
        Command::Version => {
            println!("rampart {}", env!("CARGO_PKG_VERSION"));
            ExitCode::SUCCESS
        }
        Command::Help => {
            println!("{}", cli::USAGE);
            ExitCode::SUCCESS
        }
        Command::Run { flags } => {
            let runtime = match serving_runtime(&env) {
                Ok(rt) => rt,
                Err(e) => {
                    eprintln!("rampart: cannot start the async runtime: {e}");
                    return ExitCode::FAILURE;
                }
            };
            let options = Options {
                env,
                ..Options::from_args(flags)
            };
            match runtime.block_on(rampart_proxy::run(options)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("rampart: {e}");
                    ExitCode::FAILURE
                }
            }
        }
        Command::Check { flags } => with_loaded(&flags, &env, |loaded| {
            let (text, failed) = check::render(loaded);
            print!("{text}");
            if failed {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }),
        Command::Explain { flags, request } => with_loaded(&flags, &env, |loaded| {
            match explain::render(loaded, &request) {
                Ok(text) => {
                    print!("{text}");
                    ExitCode::SUCCESS
                }
                Err(e) => {
                    eprintln!("rampart: {e}");
                    ExitCode::from(2)
                }
            }
        }),
    }
}

/// `RAMPART_WORKER_THREADS`: how many threads serve connections; by default, as many as the
/// CPUs this process may run on (its affinity mask: `taskset -c 1 rampart …` gets one).
const WORKER_THREADS: &str = "RAMPART_WORKER_THREADS";

/// The runtime that serves connections. With one worker it is Tokio's current-thread runtime:
/// connections, upstream and auth clients all run on the thread that polls the sockets, with
/// no work-stealing queues and no wake-ups across threads (a third less CPU per request than a
/// one-worker multi-thread runtime; BENCHMARKS.md). With more, the multi-thread runtime.
fn serving_runtime(env: &BTreeMap<String, String>) -> std::io::Result<tokio::runtime::Runtime> {
    let workers = match env.get(WORKER_THREADS) {
        Some(v) => v
            .trim()
            .parse::<usize>()
            .ok()
            .filter(|n| *n > 0)
            .ok_or_else(|| {
                std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    format!("{WORKER_THREADS}={v}: expected a number of threads, 1 or more"),
                )
            })?,
        None => std::thread::available_parallelism().map_or(1, std::num::NonZero::get),
    };
    if workers == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers)
            .enable_all()
            .build()
    }
}

fn with_loaded(
    flags: &[String],
    env: &BTreeMap<String, String>,
    f: impl FnOnce(&check::Loaded) -> ExitCode,
) -> ExitCode {
    // Compiling builds services (pooled clients), which want a runtime around them.
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("rampart: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let _guard = runtime.enter();
    match check::load(flags, env, &Registry::with_builtins()) {
        Ok(loaded) => f(&loaded),
        Err(errors) => {
            eprintln!("rampart: static configuration:\n{errors}");
            ExitCode::FAILURE
        }
    }
}
