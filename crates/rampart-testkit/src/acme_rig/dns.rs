//! The DNS half of the rig: BIND (authoritative, RFC 2136 + TSIG, TXT updates only) or
//! pebble-challtestsrv.

use std::fmt::Write as _;
use std::process::Command;
use std::time::{Duration, Instant};

use super::rig::{Rig, RigOptions, write};
use super::system::{free_port, program};

impl Rig {
    pub(super) async fn start_bind(&mut self, opts: &RigOptions, port: u16) -> Result<(), String> {
        let named = program("named");
        let run = self.dir.path().join("bind");
        std::fs::create_dir_all(&run).map_err(|e| format!("bind dir: {e}"))?;
        let mut conf = format!(
            r#"options {{
    directory "{run}";
    pid-file "{run}/named.pid";
    session-keyfile "{run}/session.key";
    listen-on port {port} {{ 127.0.0.1; }};
    listen-on-v6 {{ none; }};
    recursion no;
    dnssec-validation no;
    notify no;
    allow-query {{ any; }};
}};
controls {{ }};
logging {{ channel to_stderr {{ stderr; severity info; print-time yes; }}; category default {{ to_stderr; }}; category update {{ to_stderr; }}; }};
key "{key}" {{ algorithm hmac-sha256; secret "{secret}"; }};
"#,
            run = run.display(),
            key = self.tsig_name,
            secret = self.tsig_secret,
        );
        for z in &opts.zones {
            // Only TXT records, only with the key: what an ACME client needs and no more.
            let _ = writeln!(
                conf,
                "zone \"{z}\" {{ type primary; file \"{z}.zone\"; update-policy {{ grant {key} zonesub TXT; }}; }};",
                key = self.tsig_name
            );
            write(
                &run.join(format!("{z}.zone")),
                &format!(
                    "$ORIGIN {z}.\n$TTL 60\n@ IN SOA ns1.{z}. hostmaster.{z}. ( 1 3600 600 86400 60 )\n@ IN NS ns1.{z}.\nns1 IN A 127.0.0.1\n@ IN A 127.0.0.1\n* IN A 127.0.0.1\n"
                ),
            );
        }
        write(&run.join("named.conf"), &conf);
        let mut command = Command::new(named);
        command.arg("-f").arg("-c").arg(run.join("named.conf"));
        self.spawn("named", &mut command)?;
        for z in &opts.zones {
            self.wait_dns(z).await?;
        }
        Ok(())
    }

    pub(super) fn start_challtestsrv(&mut self, dns_port: u16) -> Result<(), String> {
        let srv = program("pebble-challtestsrv");
        let api_port = free_port();
        let mut command = Command::new(srv);
        // Its defaults listen on every interface; bind loopback only and turn off what we don't use.
        command
            .args([
                "-dns01",
                &format!("127.0.0.1:{dns_port}"),
                "-management",
                &format!("127.0.0.1:{api_port}"),
            ])
            .args(["-http01", "", "-https01", "", "-tlsalpn01", ""])
            // A and nothing else: pebble must reach the test's HTTP-01/TLS-ALPN-01 servers on 127.0.0.1.
            .args(["-defaultIPv4", "127.0.0.1", "-defaultIPv6", ""]);
        self.spawn("challtestsrv", &mut command)?;
        self.wait_tcp(api_port, "challtestsrv")?;
        self.challtestsrv_api = Some(format!("http://127.0.0.1:{api_port}"));
        Ok(())
    }

    /// Waits until BIND answers the zone's SOA.
    async fn wait_dns(&mut self, zone: &str) -> Result<(), String> {
        use hickory_net::client::{Client, ClientHandle};
        use hickory_net::proto::rr::{DNSClass, Name, RecordType};
        use hickory_net::runtime::TokioRuntimeProvider;
        use hickory_net::udp::UdpClientStream;
        let patience = Duration::from_secs(30);
        let deadline = Instant::now() + patience;
        let name = Name::from_ascii(format!("{zone}.")).map_err(|e| format!("zone {zone}: {e}"))?;
        while Instant::now() < deadline {
            let stream = UdpClientStream::builder(self.dns, TokioRuntimeProvider::new())
                .with_timeout(Some(Duration::from_millis(500)))
                .build();
            let (mut client, bg) = Client::<TokioRuntimeProvider>::from_sender(stream);
            let bg = tokio::spawn(bg);
            let r = client
                .query(name.clone(), DNSClass::IN, RecordType::SOA)
                .await;
            bg.abort();
            if r.is_ok_and(|m| !m.answers.is_empty()) {
                return Ok(());
            }
            self.check_alive("named")?;
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!(
            "named did not serve {zone} within {patience:?}; log:\n{}",
            self.log("named")
        ))
    }
}
