use std::sync::Arc;

use rampart_testkit::TestCa;
use rcgen::{CertificateParams, DnType, KeyPair, SanType};

use super::*;
use crate::context::TlsInfo;
use crate::middleware::builtin::test_support_b::{config, run, text};
use crate::middleware::{BoxFuture, Endpoint};
use crate::{Body, Request, Response};

struct Headers;
impl Endpoint for Headers {
    fn call<'a>(&'a self, req: Request) -> BoxFuture<'a, Response> {
        let get = |n: &str| {
            req.headers()
                .get(n)
                .map_or(String::new(), |v| v.to_str().unwrap().to_owned())
        };
        let out = format!("{}\n{}", get(CERT), get(CERT_INFO));
        Box::pin(async move { Response::new(Body::from(out)) })
    }
}

fn mtls_request(chain: Vec<Vec<u8>>) -> Request {
    let tls = TlsInfo {
        client_certs: Some(chain.into()),
        ..TlsInfo::default()
    };
    let info = ConnInfo::with_tls("127.0.0.1:4000".parse().unwrap(), "websecure", tls);
    let mut req = http::Request::get("/").body(Body::empty()).unwrap();
    req.extensions_mut().insert(Arc::new(info));
    req
}

fn mw(json: &str) -> Arc<dyn Middleware> {
    Arc::new(PassTlsClientCert::new(&config(json)))
}

/// A self-signed certificate with every distinguished-name part Traefik reads.
fn rich_cert() -> Vec<u8> {
    let mut params =
        CertificateParams::new(vec!["*.cheese.org".to_owned(), "10.0.1.2".to_owned()]).unwrap();
    params
        .subject_alt_names
        .push(SanType::Rfc822Name("test@cheese.org".try_into().unwrap()));
    params
        .subject_alt_names
        .push(SanType::URI("spiffe://cheese/x".try_into().unwrap()));
    let dn = &mut params.distinguished_name;
    dn.push(
        DnType::CustomDnType(vec![0, 9, 2342, 19_200_300, 100, 1, 25]),
        "org",
    );
    dn.push(DnType::CountryName, "FR");
    dn.push(DnType::StateOrProvinceName, "Cheese org state");
    dn.push(DnType::LocalityName, "TOULOUSE");
    dn.push(DnType::OrganizationName, "Cheese");
    dn.push(DnType::OrganizationalUnitName, "Simple Signing Section");
    dn.push(DnType::CommonName, "*.cheese.com");
    params.serial_number = Some(vec![0x01, 0x00].into());
    let key = KeyPair::generate().unwrap();
    params.self_signed(&key).unwrap().der().to_vec()
}

#[tokio::test]
async fn pem_is_the_base64_der_of_each_certificate() {
    let ca = TestCa::new("test ca");
    let leaf = ca.client_cert("client.test");
    let chain = vec![leaf.cert_der.to_vec(), ca.cert_der().to_vec()];
    let seen = text(
        run(
            &mw(r#"{"pem": true}"#),
            &Headers,
            mtls_request(chain.clone()),
        )
        .await,
    )
    .await;
    let pem_body: String = leaf
        .cert_pem
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let (cert, info) = seen.split_once('\n').unwrap();
    assert_eq!(cert, format!("{pem_body},{}", STANDARD.encode(&chain[1])));
    assert!(info.is_empty(), "no info asked");
}

#[tokio::test]
async fn info_has_traefiks_fields_and_order() {
    let all = r#"{"info": {"notAfter": true, "notBefore": true, "sans": true, "serialNumber": true,
        "subject": {"country": true, "province": true, "locality": true, "organization": true,
                    "organizationalUnit": true, "commonName": true, "serialNumber": true, "domainComponent": true},
        "issuer": {"country": true, "commonName": true, "domainComponent": true}}}"#;
    let der = rich_cert();
    let (_, cert) = X509Certificate::from_der(&der).unwrap();
    let seen = text(run(&mw(all), &Headers, mtls_request(vec![der.clone()])).await).await;
    let escaped = seen.split_once('\n').unwrap().1;
    let want = format!(
        r#"Subject="DC=org,C=FR,ST=Cheese org state,L=TOULOUSE,O=Cheese,OU=Simple Signing Section,CN=*.cheese.com";Issuer="DC=org,C=FR,CN=*.cheese.com";SerialNumber="256";NB="{}";NA="{}";SAN="*.cheese.org,test@cheese.org,10.0.1.2,spiffe://cheese/x""#,
        cert.validity().not_before.timestamp(),
        cert.validity().not_after.timestamp(),
    );
    assert_eq!(escaped, query_escape(&want));
    // Traefik's "some info" shape: empty parts are left out.
    let some = text(run(&mw(r#"{"info": {"notAfter": true, "subject": {"organization": true}, "issuer": {"province": true}}}"#), &Headers, mtls_request(vec![der.clone()])).await).await;
    let want = format!(
        r#"Subject="O=Cheese";Issuer="ST=Cheese org state";NA="{}""#,
        cert.validity().not_after.timestamp()
    );
    assert_eq!(some.split_once('\n').unwrap().1, query_escape(&want));
}

#[tokio::test]
async fn nothing_without_mtls() {
    let plain = http::Request::get("/").body(Body::empty()).unwrap();
    let seen = text(
        run(
            &mw(r#"{"pem": true, "info": {"sans": true}}"#),
            &Headers,
            plain,
        )
        .await,
    )
    .await;
    assert_eq!(seen, "\n");
    assert!(
        rampart_config::from_value::<PassTlsClientCertConfig>(
            &serde_json::from_str(r#"{"info": {"issuer": {"organizationalUnit": true}}}"#).unwrap()
        )
        .is_err()
    );
}
