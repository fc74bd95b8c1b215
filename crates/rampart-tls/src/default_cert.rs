//! The certificate served when nothing else matches and no default certificate is configured.

use std::sync::OnceLock;

use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, KeyUsagePurpose};
use ring::rand::{SecureRandom, SystemRandom};
use time::{Duration, OffsetDateTime};

use crate::LoadedCert;

/// The common name of the generated default certificate: Traefik's, so that monitoring that
/// alerts on `TRAEFIK DEFAULT CERT` keeps working.
pub const GENERATED_DEFAULT_CN: &str = "TRAEFIK DEFAULT CERT";

/// The self-signed default certificate, generated on first use and then the same for the whole
/// process (Traefik's `pkg/tls/generate`): `CN=TRAEFIK DEFAULT CERT`, one random DNS name
/// `<32 hex>.<32 hex>.traefik.default` that no client asks for, server-auth usage, valid for a
/// year.
///
/// Traefik makes an RSA-2048 key; ring cannot generate RSA keys, so this one is ECDSA P-256,
/// which every TLS 1.2+ client accepts and which signs handshakes faster.
///
/// ```
/// let cert = rampart_tls::generated_default();
/// assert_eq!(cert.subject(), "CN=TRAEFIK DEFAULT CERT");
/// assert!(cert.names()[0].ends_with(".traefik.default"));
/// assert!(std::ptr::eq(cert, rampart_tls::generated_default()));
/// ```
pub fn generated_default() -> &'static LoadedCert {
    static CERT: OnceLock<LoadedCert> = OnceLock::new();
    CERT.get_or_init(generate)
}

fn generate() -> LoadedCert {
    let mut random = [0u8; 32];
    SystemRandom::new()
        .fill(&mut random)
        .expect("the system random source works");
    let z = crate::load::hex(&random);
    let domain = format!("{}.{}.traefik.default", &z[..32], &z[32..]);

    let mut params =
        CertificateParams::new(vec![domain]).expect("a generated DNS name is a valid SAN");
    params
        .distinguished_name
        .push(DnType::CommonName, GENERATED_DEFAULT_CN);
    let now = OffsetDateTime::now_utc();
    params.not_before = now - Duration::minutes(5);
    params.not_after = now + Duration::days(365);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
    let key = KeyPair::generate().expect("ring generates P-256 keys");
    let cert = params
        .self_signed(&key)
        .expect("a self-signed certificate with fixed parameters");
    LoadedCert::from_pem(
        cert.pem().as_bytes(),
        key.serialize_pem().as_bytes(),
        "generated default certificate",
    )
    .expect("a freshly generated certificate and its own key load")
}
