//! The rig's processes: start (with a retry when a port was taken meanwhile), wait, stop.

use std::io::Write;
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use base64::Engine;

use super::system::{free_port, program};
use crate::TestCa;

/// How long a process of the rig gets to start listening.
const START_PATIENCE: Duration = Duration::from_secs(30);

/// Starts attempted before giving up (each with new ports).
const START_ATTEMPTS: u32 = 3;

/// Which DNS server pebble asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DnsBackend {
    /// BIND 9, authoritative for the rig's zones (every name: A 127.0.0.1), RFC 2136 + TSIG.
    Bind,
    /// pebble-challtestsrv: answers A 127.0.0.1 for every name; TXT via its HTTP API.
    ChallTestSrv,
}

/// How to start a [`Rig`].
#[derive(Debug, Clone)]
pub struct RigOptions {
    /// The DNS server pebble validates against.
    pub dns: DnsBackend,
    /// Zones BIND serves (ignored by challtestsrv, which answers every name).
    pub zones: Vec<String>,
    /// % of valid nonces pebble rejects (its default is 5).
    pub nonce_reject: u8,
    /// % chance pebble reuses a valid authorization (its default is 50).
    pub authz_reuse: u8,
    /// Leaf validity in seconds.
    pub cert_validity: u64,
    /// Port pebble sends HTTP-01 requests to.
    pub http01_port: u16,
    /// Port pebble sends TLS-ALPN-01 handshakes to.
    pub tlsalpn01_port: u16,
    /// External Account Binding required, with this key id and base64url MAC key.
    pub eab: Option<(String, String)>,
}

impl Default for RigOptions {
    fn default() -> Self {
        RigOptions {
            dns: DnsBackend::Bind,
            zones: vec!["example.test".into()],
            nonce_reject: 0,
            authz_reuse: 0,
            cert_validity: 90 * 24 * 3600,
            http01_port: 5002,
            tlsalpn01_port: 5001,
            eab: None,
        }
    }
}

/// A running rig. Dropping it stops every process it started.
#[derive(Debug)]
pub struct Rig {
    /// The rig's directory: configs, logs, and room for the test's own files.
    pub dir: tempfile::TempDir,
    children: Vec<(String, Child)>,
    /// `https://127.0.0.1:<port>/dir`.
    pub directory: String,
    /// The port of pebble's ACME API.
    pub acme_port: u16,
    /// `https://127.0.0.1:<port>`: pebble's management API.
    pub management: String,
    /// The DNS server pebble validates against.
    pub dns: SocketAddr,
    /// CA of pebble's own HTTPS (directory and management API): not the issuer.
    pub wfe_ca: PathBuf,
    /// Pebble's issuing root (new at every start), PEM.
    pub issuer_root_pem: String,
    /// The TSIG key name BIND accepts updates signed with.
    pub tsig_name: String,
    /// The TSIG secret (base64), HMAC-SHA256.
    pub tsig_secret: String,
    /// challtestsrv's management API (`http://127.0.0.1:<port>`), for `ChallTestSrv`.
    pub challtestsrv_api: Option<String>,
}

impl Drop for Rig {
    fn drop(&mut self) {
        for (_, child) in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

pub(super) fn write(path: &Path, text: &str) {
    let mut f =
        std::fs::File::create(path).unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    f.write_all(text.as_bytes())
        .unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
}

impl Rig {
    /// Starts pebble and its DNS server on free ports of 127.0.0.1. When a process dies while
    /// starting (another process took its port between choosing and binding), the whole rig is
    /// started again on new ports, up to three times.
    pub async fn start(opts: RigOptions) -> Rig {
        let mut last = String::new();
        for attempt in 1..=START_ATTEMPTS {
            match Rig::try_start(&opts).await {
                Ok(rig) => return rig,
                Err(why) => {
                    eprintln!("acme rig: start attempt {attempt} failed: {why}");
                    last = why;
                }
            }
        }
        panic!("the ACME rig did not start in {START_ATTEMPTS} attempts; last failure: {last}");
    }

    async fn try_start(opts: &RigOptions) -> Result<Rig, String> {
        let pebble = program("pebble");
        let dir = tempfile::tempdir().map_err(|e| format!("temp dir: {e}"))?;
        let run = dir.path().to_owned();

        // TLS for pebble's WFE and management API (Debian ships no test certificate).
        let wfe_ca = TestCa::new("rampart rig WFE CA");
        let wfe = wfe_ca.server_cert(&["localhost", "127.0.0.1"]);
        write(&run.join("wfe-ca.pem"), wfe_ca.cert_pem());
        write(&run.join("wfe.pem"), &wfe.cert_pem);
        write(&run.join("wfe.key"), &wfe.key_pem);

        let mut secret = [0u8; 32];
        rand::fill(&mut secret);
        let mut rig = Rig {
            dir,
            children: Vec::new(),
            directory: String::new(),
            acme_port: 0,
            management: String::new(),
            dns: SocketAddr::from(([127, 0, 0, 1], 0)),
            wfe_ca: run.join("wfe-ca.pem"),
            issuer_root_pem: String::new(),
            tsig_name: "rampart-acme-key".into(),
            tsig_secret: base64::engine::general_purpose::STANDARD.encode(secret),
            challtestsrv_api: None,
        };

        let dns_port = free_port();
        rig.dns = SocketAddr::from(([127, 0, 0, 1], dns_port));
        match opts.dns {
            DnsBackend::Bind => rig.start_bind(opts, dns_port).await?,
            DnsBackend::ChallTestSrv => rig.start_challtestsrv(dns_port)?,
        }

        let acme_port = free_port();
        let mgmt_port = free_port();
        let (eab_required, eab_keys) = match &opts.eab {
            Some((kid, key)) => (true, format!(r#"{{"{kid}": "{key}"}}"#)),
            None => (false, "{}".to_owned()),
        };
        let config = format!(
            r#"{{"pebble": {{"listenAddress": "127.0.0.1:{acme_port}", "managementListenAddress": "127.0.0.1:{mgmt_port}",
  "certificate": "{run}/wfe.pem", "privateKey": "{run}/wfe.key", "httpPort": {http}, "tlsPort": {tls},
  "ocspResponderURL": "", "externalAccountBindingRequired": {eab_required},
  "externalAccountMACKeys": {eab_keys}, "certificateValidityPeriod": {validity}}}}}"#,
            run = run.display(),
            http = opts.http01_port,
            tls = opts.tlsalpn01_port,
            validity = opts.cert_validity,
        );
        write(&run.join("pebble.json"), &config);
        let mut command = Command::new(pebble);
        command
            .arg("-config")
            .arg(run.join("pebble.json"))
            .arg("-dnsserver")
            .arg(rig.dns.to_string())
            // Validate at once (no random sleep), and for real.
            .env("PEBBLE_VA_NOSLEEP", "1")
            .env("PEBBLE_VA_ALWAYS_VALID", "0")
            .env("PEBBLE_WFE_NONCEREJECT", opts.nonce_reject.to_string())
            .env("PEBBLE_AUTHZREUSE", opts.authz_reuse.to_string());
        rig.spawn("pebble", &mut command)?;
        rig.wait_tcp(acme_port, "pebble")?;
        rig.wait_tcp(mgmt_port, "pebble")?;
        rig.acme_port = acme_port;
        rig.directory = format!("https://127.0.0.1:{acme_port}/dir");
        rig.management = format!("https://127.0.0.1:{mgmt_port}");
        rig.issuer_root_pem = rig.fetch_root().await?;
        Ok(rig)
    }

    /// Starts `command` with its output in `<dir>/<name>.log`; stopped when the rig drops.
    pub(super) fn spawn(&mut self, name: &str, command: &mut Command) -> Result<(), String> {
        let log = std::fs::File::create(self.dir.path().join(format!("{name}.log")))
            .map_err(|e| format!("{name} log: {e}"))?;
        let err = log.try_clone().map_err(|e| format!("{name} log: {e}"))?;
        let child = command
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(err)
            .spawn()
            .map_err(|e| format!("start {name}: {e}"))?;
        self.children.push((name.to_owned(), child));
        Ok(())
    }

    /// Fails when process `name` has exited.
    pub(super) fn check_alive(&mut self, name: &str) -> Result<(), String> {
        for (n, c) in &mut self.children {
            if n == name
                && let Ok(Some(status)) = c.try_wait()
            {
                return Err(format!(
                    "{name} exited ({status}); log:\n{}",
                    self.log(name)
                ));
            }
        }
        Ok(())
    }

    /// A process's log, for failure messages.
    pub fn log(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.path().join(format!("{name}.log"))).unwrap_or_default()
    }

    /// Waits until `name` accepts TCP connections on `port`.
    pub(super) fn wait_tcp(&mut self, port: u16, name: &str) -> Result<(), String> {
        let deadline = Instant::now() + START_PATIENCE;
        while Instant::now() < deadline {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(());
            }
            self.check_alive(name)?;
            std::thread::sleep(Duration::from_millis(50));
        }
        Err(format!(
            "{name} did not listen on {port} within {START_PATIENCE:?}; log:\n{}",
            self.log(name)
        ))
    }
}
