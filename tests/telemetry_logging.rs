//! `telemetry/logging` through real HTTP: a failed backend call is logged (KrakenD's
//! `[ENDPOINT: /path] <error>` at ERROR) and reaches syslog as Go's `log/syslog` writes it.
//! The syslog destination is a datagram socket this test binds (`KRUSTD_SYSLOG`).

mod common;
use common::*;
use std::os::unix::net::UnixDatagram;
use std::time::Duration;

#[tokio::test]
async fn errors_reach_syslog_with_the_contract_facility_and_tag() {
    let path = std::env::temp_dir().join(format!("krustd-syslog-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let listener = UnixDatagram::bind(&path).expect("bind a syslog socket");
    listener
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("timeout");
    // Read before the gateway is built: the logger connects when it is installed.
    std::env::set_var("KRUSTD_SYSLOG", &path);
    let mock_url = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/telemetry_logging.json",
        hosts(&[
            ("http://mock", mock_url.as_str()),
            ("http://broken", "http://127.0.0.1:9")
        ])
    ))
    .await;

    let (status, _, _) = get(&format!("{gw}/ok")).await;
    assert_eq!(status, 200);
    let (status, _, _) = get(&format!("{gw}/broken")).await;
    assert_eq!(status, 500);

    let got = tokio::task::spawn_blocking(move || {
        let mut buf = vec![0u8; 4096];
        let n = listener
            .recv(&mut buf)
            .expect("a syslog datagram within 10 s");
        String::from_utf8_lossy(&buf[..n]).into_owned()
    })
    .await
    .expect("join");
    let _ = std::fs::remove_file(&path);
    // local5 (21) * 8 + the configured level's severity (WARNING: 4).
    assert!(got.starts_with("<172>"), "{got}");
    let pid = std::process::id();
    assert!(
        got.contains(&format!(" [GW][{pid}]: ERROR > [ENDPOINT: /broken] ")),
        "{got}"
    );
    assert!(got.ends_with('\n'), "{got}");
}
