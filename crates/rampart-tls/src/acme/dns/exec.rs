//! `exec`: lego's protocol for a user's program. `EXEC_PATH present <fqdn> <value>` and
//! `EXEC_PATH cleanup <fqdn> <value>`; with `EXEC_MODE=RAW`,
//! `EXEC_PATH present -- <domain> <token> <keyAuth>`. Exit status 0 means done; the program's
//! output (stdout and stderr) is logged line by line.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

use super::{BoxFuture, DnsProvider, Timing, TxtRecord, env_timing};
use crate::acme::error::AcmeError;
use crate::acme::spec::Env;

const NAME: &str = "exec";

/// The `exec` provider.
///
/// ```
/// use rampart_tls::acme::{Env, dns::Exec};
/// assert!(Exec::from_env(&Env::default()).unwrap_err().to_string().contains("EXEC_PATH"));
/// ```
#[derive(Debug, Clone)]
pub struct Exec {
    program: PathBuf,
    raw: bool,
    timing: Timing,
    timeout: Duration,
}

impl Exec {
    /// Reads `EXEC_PATH` (required), `EXEC_MODE` (`RAW` or unset), `EXEC_PROPAGATION_TIMEOUT`,
    /// `EXEC_POLLING_INTERVAL`.
    pub fn from_env(env: &Env) -> Result<Self, AcmeError> {
        let program = env
            .get("EXEC_PATH")?
            .ok_or_else(|| AcmeError::Spec(format!("{NAME}: EXEC_PATH is not set")))?;
        let raw = match env.get("EXEC_MODE")?.as_deref() {
            None => false,
            Some("RAW") => true,
            Some(other) => {
                return Err(AcmeError::Spec(format!(
                    "{NAME}: EXEC_MODE={other:?}: only RAW is known"
                )));
            }
        };
        let timing = env_timing(env, "EXEC_", Timing::default())?;
        // lego runs the program without a deadline; a hung hook must not stall renewals forever.
        Ok(Exec {
            program: program.into(),
            raw,
            timing,
            timeout: timing.propagation_timeout.max(Duration::from_mins(1)),
        })
    }

    async fn run(&self, command: &str, record: &TxtRecord) -> Result<(), AcmeError> {
        let args: Vec<&str> = if self.raw {
            vec![
                command,
                "--",
                &record.domain,
                &record.token,
                &record.key_auth,
            ]
        } else {
            vec![command, &record.fqdn, &record.value]
        };
        let fail =
            |m: String| AcmeError::dns(NAME, format!("{} {command}: {m}", self.program.display()));
        let mut child = Command::new(&self.program)
            .args(&args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| fail(format!("cannot start: {e}")))?;
        let stdout = child.stdout.take();
        let stderr = child.stderr.take();
        let log = |r: Option<Box<dyn tokio::io::AsyncRead + Unpin + Send>>| async move {
            let Some(r) = r else { return };
            let mut lines = BufReader::new(r).lines();
            while let Ok(Some(line)) = lines.next_line().await {
                tracing::info!(provider = NAME, "{line}");
            }
        };
        let waited = tokio::time::timeout(self.timeout, async {
            tokio::join!(
                log(stdout.map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>)),
                log(stderr.map(|s| Box::new(s) as Box<dyn tokio::io::AsyncRead + Unpin + Send>)),
            );
            child.wait().await
        })
        .await;
        match waited {
            Err(_) => Err(fail(format!("did not finish within {:?}", self.timeout))),
            Ok(Err(e)) => Err(fail(e.to_string())),
            Ok(Ok(status)) if status.success() => Ok(()),
            Ok(Ok(status)) => Err(fail(format!("exited with {status}"))),
        }
    }
}

impl DnsProvider for Exec {
    fn name(&self) -> &'static str {
        NAME
    }

    fn present<'a>(&'a self, record: &'a TxtRecord) -> BoxFuture<'a, Result<(), AcmeError>> {
        Box::pin(self.run("present", record))
    }

    fn cleanup<'a>(&'a self, record: &'a TxtRecord) -> BoxFuture<'a, Result<(), AcmeError>> {
        Box::pin(self.run("cleanup", record))
    }

    fn timing(&self) -> Timing {
        self.timing
    }
}
