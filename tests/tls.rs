//! The transport over real connections on 127.0.0.1: the TLS listener (a client trusting the
//! test CA, TLS versions, HTTP/2 by ALPN), mTLS, h2c, and `client_tls` to https backends signed
//! by a private CA (with and without the CA, with a client certificate, insecure). The CA and
//! certificates are made at test time (rcgen) into `target/krustd-test-tls/`, where the test
//! contracts point (relative to the working directory, as the gateway reads them at start-up).

mod common;
use common::*;
use krustd_runtime::test_support::{serve_gateway, serve_https};
use std::sync::OnceLock;
use std::time::Duration;

krustd_macros::gateway!("contracts/features/tls.json", contract_tests);
krustd_macros::gateway!("contracts/features/tls_mtls.json", contract_tests);
krustd_macros::gateway!("contracts/features/client_tls.json", contract_tests);
krustd_macros::gateway!(
    "contracts/features/client_tls_insecure.json",
    contract_tests
);

use contract_contracts_features_client_tls::Gateway as ClientTls;
use contract_contracts_features_client_tls_insecure::Gateway as ClientTlsInsecure;
use contract_contracts_features_tls::Gateway as Tls;
use contract_contracts_features_tls_mtls::Gateway as Mtls;

const DIR: &str = "target/krustd-test-tls";

fn path(file: &str) -> String {
    format!("{DIR}/{file}")
}

/// The test PKI, made once per run: `ca.pem`; `server.pem`/`.key` (127.0.0.1, localhost) and
/// `client.pem`/`.key`, both signed by the CA; `rogue.pem`/`.key`, a client certificate
/// signed by another CA.
fn pki() {
    static DONE: OnceLock<()> = OnceLock::new();
    DONE.get_or_init(|| {
        use rcgen::{
            BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose as Eku, IsCa,
            Issuer, KeyPair, KeyUsagePurpose,
        };
        std::fs::create_dir_all(DIR).expect("mkdir");
        let ca = |name: &str| {
            let key = KeyPair::generate().expect("key");
            let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.distinguished_name.push(DnType::CommonName, name);
            p.key_usages = vec![
                KeyUsagePurpose::KeyCertSign,
                KeyUsagePurpose::DigitalSignature,
            ];
            let cert = p.self_signed(&key).expect("CA");
            (cert.pem(), Issuer::new(p, key))
        };
        let leaf = |issuer: &Issuer<'_, KeyPair>, eku: Eku, file: &str| {
            let key = KeyPair::generate().expect("key");
            let mut p =
                CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
                    .expect("params");
            p.distinguished_name.push(DnType::CommonName, file);
            p.extended_key_usages = vec![eku];
            let cert = p.signed_by(&key, issuer).expect("sign");
            std::fs::write(path(&format!("{file}.pem")), cert.pem()).expect("write");
            std::fs::write(path(&format!("{file}.key")), key.serialize_pem()).expect("write");
        };
        let (ca_pem, issuer) = ca("Krustd test CA");
        std::fs::write(path("ca.pem"), ca_pem).expect("write");
        leaf(&issuer, Eku::ServerAuth, "server");
        leaf(&issuer, Eku::ClientAuth, "client");
        let (_, rogue) = ca("Another CA");
        leaf(&rogue, Eku::ClientAuth, "rogue");
    });
}

/// A client trusting only the test CA; `identity`: the client certificate it presents.
fn https_client(identity: Option<&str>, tls12_only: bool) -> reqwest::Client {
    pki();
    let ca = std::fs::read(path("ca.pem")).expect("ca");
    let mut b = reqwest::Client::builder()
        .use_rustls_tls()
        .tls_built_in_root_certs(false)
        .add_root_certificate(reqwest::Certificate::from_pem(&ca).expect("ca pem"))
        .timeout(Duration::from_secs(10));
    if let Some(name) = identity {
        let mut pem = std::fs::read(path(&format!("{name}.pem"))).expect("cert");
        pem.extend(std::fs::read(path(&format!("{name}.key"))).expect("key"));
        b = b.identity(reqwest::Identity::from_pem(&pem).expect("identity"));
    }
    if tls12_only {
        b = b.max_tls_version(reqwest::tls::Version::TLS_1_2);
    }
    b.build().expect("client")
}

/// `curl` with `args` (bounded by 10 s): `<http_version> <status>` of the answer.
async fn curl(args: Vec<String>) -> String {
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new("curl")
            .args([
                "-sS",
                "--max-time",
                "10",
                "-o",
                "/dev/null",
                "-w",
                "%{http_version} %{http_code}",
            ])
            .args(args)
            .output()
    })
    .await
    .expect("join")
    .expect("curl is installed");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn gateway_with<G: krustd_runtime::Gateway>(options: Options) -> std::net::SocketAddr {
    pki();
    serve_gateway::<G>(krustd_runtime::router_with::<G>(options))
        .await
        .expect("the gateway starts")
}

#[tokio::test]
async fn a_client_trusting_the_ca_gets_answers_over_http2_and_http1() {
    let mock = start(mock()).await;
    let gw = gateway_with::<Tls>(hosts(&[("http://mock", &mock)])).await;
    let url = format!("https://127.0.0.1:{}/users/7", gw.port());
    let resp = https_client(None, false)
        .get(&url)
        .send()
        .await
        .expect("https");
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.version(), reqwest::Version::HTTP_11);
    assert!(resp.text().await.expect("body").contains("ann 7"));
    // min_version TLS12: a TLS 1.2 client is served too.
    let resp = https_client(None, true)
        .get(&url)
        .send()
        .await
        .expect("TLS 1.2");
    assert_eq!(resp.status(), 200);
    let ca = path("ca.pem");
    assert_eq!(
        curl(vec![
            "--cacert".into(),
            ca.clone(),
            "--http2".into(),
            url.clone()
        ])
        .await,
        "2 200"
    );
    assert_eq!(
        curl(vec!["--cacert".into(), ca, "--http1.1".into(), url.clone()]).await,
        "1.1 200"
    );
    // HTTPS only: plain HTTP on the same port gets no answer.
    let plain = format!("http://127.0.0.1:{}/users/7", gw.port());
    assert!(client().get(&plain).send().await.is_err());
    // A client that does not trust the CA refuses the gateway.
    assert!(client().get(&url).send().await.is_err());
}

#[tokio::test]
async fn mtls_wants_a_certificate_from_the_ca_and_tls13() {
    let mock = start(mock()).await;
    let gw = gateway_with::<Mtls>(hosts(&[("http://mock", &mock)])).await;
    let url = format!("https://127.0.0.1:{}/users/7", gw.port());
    let ok = https_client(Some("client"), false).get(&url).send().await;
    assert_eq!(ok.expect("with a certificate").status(), 200);
    assert!(https_client(None, false).get(&url).send().await.is_err());
    assert!(https_client(Some("rogue"), false)
        .get(&url)
        .send()
        .await
        .is_err());
    // No min_version: TLS 1.3 only (lura's default), a TLS 1.2-only client is refused.
    assert!(https_client(Some("client"), true)
        .get(&url)
        .send()
        .await
        .is_err());
}

#[tokio::test]
async fn client_tls_calls_https_backends_of_a_private_ca_and_serves_h2c() {
    pki();
    // The backend wants a client certificate signed by the test CA.
    let backend = serve_https(
        mock(),
        &path("server.pem"),
        &path("server.key"),
        Some(&path("ca.pem")),
    )
    .await
    .expect("https mock");
    let backend = format!("https://127.0.0.1:{}", backend.port());
    let gw = gateway_with::<ClientTls>(hosts(&[("https://backend", &backend)])).await;
    let url = format!("http://127.0.0.1:{}/users/7", gw.port());
    let (status, _, body) = get(&url).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("ann 7"), "{body}");
    // use_h2c: HTTP/2 with prior knowledge beside HTTP/1.1.
    assert_eq!(
        curl(vec!["--http2-prior-knowledge".into(), url.clone()]).await,
        "2 200"
    );
    assert_eq!(curl(vec!["--http1.1".into(), url]).await, "1.1 200");

    // Without client_tls the private CA is not trusted: the backend call fails.
    let plain = start(krustd_runtime::router_with::<Tls>(hosts(&[(
        "http://mock",
        &backend,
    )])))
    .await;
    assert_eq!(get(&format!("{plain}/users/7")).await.0, 500);
}

#[tokio::test]
async fn allow_insecure_connections_accepts_any_backend_certificate() {
    pki();
    let backend = serve_https(mock(), &path("server.pem"), &path("server.key"), None)
        .await
        .expect("https mock");
    let backend = format!("https://127.0.0.1:{}", backend.port());
    let gw = start(krustd_runtime::router_with::<ClientTlsInsecure>(hosts(&[
        ("https://backend", &backend),
    ])))
    .await;
    let (status, _, body) = get(&format!("{gw}/users/7")).await;
    assert_eq!(status, 200, "{body}");
    // No client certificate to give a backend that wants one.
    let strict = serve_https(
        mock(),
        &path("server.pem"),
        &path("server.key"),
        Some(&path("ca.pem")),
    )
    .await
    .expect("https mock");
    let strict = format!("https://127.0.0.1:{}", strict.port());
    let gw = start(krustd_runtime::router_with::<ClientTlsInsecure>(hosts(&[
        ("https://backend", &strict),
    ])))
    .await;
    assert_eq!(get(&format!("{gw}/users/7")).await.0, 500);
}

#[test]
fn a_missing_certificate_stops_the_start_up_naming_the_file() {
    static SPEC: krustd_runtime::transport::ServerTlsSpec =
        krustd_runtime::transport::ServerTlsSpec {
            keys: &[(
                "target/krustd-test-tls/absent.pem",
                "target/krustd-test-tls/absent.key",
            )],
            enable_mtls: false,
            params: krustd_runtime::transport::TlsParams {
                min_version: krustd_runtime::transport::TlsVersion::Tls13,
                max_version: krustd_runtime::transport::TlsVersion::Tls13,
                cipher_suites: &[],
                curves: &[23],
                ca_certs: &[],
                system_ca_pool: false,
            },
        };
    let e = krustd_runtime::transport::server_config(&SPEC).expect_err("no such file");
    assert!(e.contains("target/krustd-test-tls/absent.pem"), "{e}");
}
