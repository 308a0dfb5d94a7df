//! krakend-ce conformance: runs krakend-ce's own integration specs against a Krustd gateway
//! built from krakend-ce's own fixture contract. Needs a krakend-ce checkout, so it is
//! `#[ignore]`d and not part of CI: `scripts/ce-conformance.sh <krakend-ce checkout>` builds the
//! gateway and runs it (`KRUSTD_CE_TESTS`: the checkout's `tests` directory, the working
//! directory KrakenD's runner uses; `KRUSTD_CE_BIN`: the gateway binary).
//!
//! The mock backend (127.0.0.1:8081) and the comparison follow the runner of those specs
//! (facts only; the code is ours): a Go `http.DefaultClient` (`GoClient`), then the status, each expected header
//! (names canonical; a missing header passes only when its first expected value is empty), and
//! either a JSON schema, a string body (exact text) or a JSON body (compared as decoded values,
//! numbers as floats).

mod ce_conformance_support;
mod go_http;

use ce_conformance_support::{compare, mock_backend, GoClient, Spec};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The gateway process, killed when dropped.
struct Gateway(Child);

impl Drop for Gateway {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

async fn wait_for_port(port: u16, deadline: Duration) -> bool {
    let until = Instant::now() + deadline;
    while Instant::now() < until {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs a krakend-ce checkout: scripts/ce-conformance.sh"]
async fn krakend_ce_specs() {
    let (Some(dir), Some(bin)) = (
        std::env::var_os("KRUSTD_CE_TESTS").map(PathBuf::from),
        std::env::var_os("KRUSTD_CE_BIN").map(PathBuf::from),
    ) else {
        panic!("set KRUSTD_CE_TESTS and KRUSTD_CE_BIN (scripts/ce-conformance.sh does)");
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:8081")
        .await
        .expect("bind the mock backend on 127.0.0.1:8081");
    let mock = tokio::spawn(async move {
        let _ = axum::serve(listener, mock_backend()).await;
    });
    // As the runner: `<bin> run -d -c fixtures/krakend.json` from the tests directory, with
    // `USAGE_DISABLE=1` alone in the environment.
    let child = Command::new(std::path::absolute(&bin).expect("binary path"))
        .args(["run", "-d", "-c", "fixtures/krakend.json"])
        .current_dir(&dir)
        .env_clear()
        .env("USAGE_DISABLE", "1")
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the gateway");
    let _gateway = Gateway(child);
    assert!(
        wait_for_port(8080, Duration::from_secs(15)).await,
        "the gateway did not listen on 127.0.0.1:8080 within 15 s"
    );

    let client = GoClient::new();
    let mut names: Vec<PathBuf> = std::fs::read_dir(dir.join("fixtures/specs"))
        .expect("fixtures/specs")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    let mut failed = Vec::new();
    for path in &names {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let spec = match std::fs::read(path)
            .map_err(|e| e.to_string())
            .and_then(|b| serde_json::from_slice(&b).map_err(|e| e.to_string()))
            .and_then(|v| Spec::parse(&v))
        {
            Ok(s) => s,
            Err(e) => {
                println!("FAIL {name}: unreadable spec: {e}");
                failed.push(name);
                continue;
            }
        };
        match compare(&client, &spec).await {
            Ok(()) => println!("pass {name}"),
            Err(diff) => {
                println!("FAIL {name}:\n\t{}", diff.join("\n\t"));
                failed.push(name);
            }
        }
    }
    mock.abort();
    println!(
        "\n{}/{} specs pass; failing: {}",
        names.len() - failed.len(),
        names.len(),
        failed.join(" ")
    );
    assert!(failed.is_empty(), "{} specs fail", failed.len());
}
