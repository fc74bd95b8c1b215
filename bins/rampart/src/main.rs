//! The `rampart` binary: parse the command line, then run, check or explain.

use std::collections::BTreeMap;
use std::process::ExitCode;

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
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
            {
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
