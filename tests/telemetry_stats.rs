//! `telemetry/metrics`, `telemetry/gelf`, `telemetry/logstash` and `telemetry/influx` through
//! real sockets on 127.0.0.1 (contracts/features/telemetry_stats.json): `/__stats` shows the
//! router and backend counters after some requests; a UDP listener here receives the gateway's
//! log lines as (gzipped) GELF messages whose text is the logstash record; and a real InfluxDB (`influxd` of the Debian `influxdb`
//! package, started here on fixed ports with a temporary directory) receives the points a
//! query then reads back. Without `influxd` the InfluxDB part is skipped loudly, except in CI
//! (`CI` set), where it fails.

mod common;
use common::*;
use std::io::Read as _;
use std::time::{Duration, Instant};

/// The contract's GELF input and InfluxDB HTTP port (fixed: the contract is compiled). Fixed
/// ports sit below Linux's ephemeral range (32768–60999): a client socket of an earlier test
/// left in TIME_WAIT on such a port would make `influxd`'s bind fail.
const GELF_PORT: u16 = 27951;
const INFLUX_HTTP: u16 = 27961;
const INFLUX_RPC: u16 = 27962;

/// An `influxd` this test started; killed when dropped.
struct Influxd {
    child: std::process::Child,
    dir: std::path::PathBuf,
}

impl Influxd {
    /// Why `influxd` is not answering: its exit status (if it stopped) and its log's tail.
    fn diagnosis(&mut self) -> String {
        let status = match self.child.try_wait() {
            Ok(Some(s)) => format!("influxd exited ({s})"),
            Ok(None) => "influxd is still running".to_string(),
            Err(e) => format!("influxd status unknown: {e}"),
        };
        let log = std::fs::read_to_string(self.dir.join("influxd.log")).unwrap_or_default();
        let tail: Vec<&str> = log.lines().rev().take(8).collect();
        let tail: Vec<&str> = tail.into_iter().rev().collect();
        format!("{status}; its log ends with:\n{}", tail.join("\n"))
    }
}

impl Drop for Influxd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn influxd_binary() -> Option<std::path::PathBuf> {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .chain(["/usr/bin".into(), "/usr/sbin".into()])
        .map(|d| d.join("influxd"))
        .find(|p| p.is_file())
}

/// Starts `influxd` on 127.0.0.1, or says why not (absent and not in CI: skipped).
fn start_influxd() -> Option<Influxd> {
    let Some(bin) = influxd_binary() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "influxd is not installed (CI must install the Debian `influxdb` package: .ci/run)"
        );
        eprintln!("!!! SKIPPED the InfluxDB part of telemetry_stats: `influxd` is not installed (apt-get install influxdb) !!!");
        return None;
    };
    let dir = std::env::temp_dir().join(format!("krustd-influx-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("temp dir");
    let d = dir.display();
    let config = format!(
        "reporting-disabled = true\nbind-address = \"127.0.0.1:{INFLUX_RPC}\"\n\
         [meta]\n  dir = \"{d}/meta\"\n\
         [data]\n  dir = \"{d}/data\"\n  wal-dir = \"{d}/wal\"\n  query-log-enabled = false\n\
         [http]\n  bind-address = \"127.0.0.1:{INFLUX_HTTP}\"\n  log-enabled = false\n\
         [monitor]\n  store-enabled = false\n\
         [continuous_queries]\n  enabled = false\n"
    );
    std::fs::write(dir.join("influxdb.conf"), config).expect("config");
    let child = std::process::Command::new(bin)
        .arg("-config")
        .arg(dir.join("influxdb.conf"))
        .stdout(std::process::Stdio::null())
        .stderr(std::fs::File::create(dir.join("influxd.log")).expect("log file"))
        .spawn()
        .expect("start influxd");
    Some(Influxd { child, dir })
}

async fn influx_query(q: &str) -> (u16, String) {
    let resp = client()
        .post(format!("http://127.0.0.1:{INFLUX_HTTP}/query"))
        .query(&[("db", "krustd_stats"), ("q", q)])
        .send()
        .await;
    match resp {
        Ok(r) => (r.status().as_u16(), r.text().await.unwrap_or_default()),
        Err(e) => (0, e.to_string()),
    }
}

/// Polls `f` every 100 ms until it returns `Some`, for at most `limit`.
async fn eventually<T, F: std::future::Future<Output = Option<T>>>(
    limit: Duration,
    mut f: impl FnMut() -> F,
) -> Option<T> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if Instant::now() > deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn stats_gelf_and_influx() {
    let influxd = start_influxd();
    // Bound before the gateway starts: its first log lines go here.
    let gelf = std::net::UdpSocket::bind(("127.0.0.1", GELF_PORT)).expect("bind the GELF port");
    gelf.set_read_timeout(Some(Duration::from_secs(5)))
        .expect("timeout");
    let mock_url = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/telemetry_stats.json",
        hosts(&[
            ("http://mock", mock_url.as_str()),
            ("http://broken", "http://127.0.0.1:9")
        ])
    ))
    .await;
    for _ in 0..3 {
        assert_eq!(get(&format!("{gw}/ok")).await.0, 200);
    }
    assert_eq!(get(&format!("{gw}/users/7")).await.0, 200);
    // Logged at ERROR (`[ENDPOINT: /broken] …`): a GELF message.
    assert_eq!(get(&format!("{gw}/broken")).await.0, 500);
    // The pipe layer's outcomes: a partial merge, a no-op answer, a failed no-op call.
    let (status, headers, _) = get(&format!("{gw}/partial")).await;
    assert_eq!(status, 200);
    assert_eq!(header(&headers, "x-krakend-completed"), Some("false"));
    assert_eq!(get(&format!("{gw}/raw")).await.0, 200);
    assert_eq!(get(&format!("{gw}/raw-broken")).await.0, 500);
    // No endpoint: not a router connection in krakend-metrics.
    assert_eq!(get(&format!("{gw}/nowhere")).await.0, 404);

    // /__stats: refreshed every 100 ms (collection_time).
    let addr = krustd_runtime::telemetry::stats::stats_addr().expect("/__stats listens");
    let stats = eventually(Duration::from_secs(5), || async {
        let (status, headers, body) = get(&format!("http://{addr}/__stats")).await;
        assert_eq!(status, 200);
        assert!(header(&headers, "content-type")
            .unwrap_or("")
            .starts_with("application/json"));
        let v = json(&body);
        (v["krakend.router.response./ok.status.200.count"] == 3
            && v["krakend.router.response./broken.status.500.count"] == 1
            && v["krakend.router.response./raw-broken.status.500.count"] == 1)
            .then_some(v)
    })
    .await
    .expect("/__stats counts the requests within 5 s");
    assert_eq!(
        stats["krakend.router.response./users/{id}.status.200.count"],
        1
    );
    assert_eq!(stats["krakend.router.connected-total"], 8);
    assert_eq!(stats["krakend.router.disconnected-total"], 8);
    // Registered by krakend-metrics for every endpoint, never counted.
    assert_eq!(stats["krakend.router.response./ok.status"], 0);
    let backend = "krakend.proxy.requests.layer.backend.name";
    // /ok ×3 and /partial's first backend; /broken's and /partial's second (no-op backends
    // are not measured).
    assert_eq!(
        stats[format!("{backend}./a.complete.true.error.false").as_str()],
        4
    );
    assert_eq!(
        stats[format!("{backend}./a.complete.false.error.true").as_str()],
        2
    );
    // The pipe layer (krakend-metrics' proxy middleware), by endpoint and outcome.
    let pipe = "krakend.proxy.requests.layer.pipe.name";
    for (name, ok, failed) in [
        ("/ok", 3, 0),
        ("/users/{id}", 1, 0),
        ("/broken", 0, 1),
        ("/partial", 0, 1),
        ("/raw", 1, 0),
        ("/raw-broken", 0, 1),
    ] {
        let count = |labels: &str| stats[format!("{pipe}.{name}.{labels}").as_str()].as_i64();
        assert_eq!(count("complete.true.error.false"), Some(ok), "{name}");
        assert_eq!(count("complete.false.error.true"), Some(failed), "{name}");
        assert_eq!(count("complete.true.error.true"), Some(0), "{name}");
        assert_eq!(count("complete.false.error.false"), Some(0), "{name}");
    }
    assert!(stats["krakend.service.runtime.NumThread"].as_i64() > Some(0));
    let keys = stats.as_object().expect("an object");
    // Every outcome's latency histogram of every layer, with go-metrics' JSON fields.
    for layer in ["pipe.name./ok", "backend.name./a"] {
        for labels in [
            "complete.true.error.false",
            "complete.false.error.true",
            "complete.true.error.true",
            "complete.false.error.false",
        ] {
            let h = format!("krakend.proxy.latency.layer.{layer}.{labels}");
            assert!(keys.contains_key(&format!("{h}.count")), "{h}");
        }
    }
    for field in [
        "count",
        "min",
        "max",
        "mean",
        "std-dev",
        "50-percentile",
        "999-percentile",
    ] {
        let key = format!("krakend.router.response./ok.time.{field}");
        assert!(keys.contains_key(&key), "{key}");
    }

    // GELF: gzipped GELF 1.1 JSON; the /broken error is among the first messages.
    let found = tokio::task::spawn_blocking(move || {
        let mut buf = vec![0u8; 65536];
        for _ in 0..20 {
            let n = gelf.recv(&mut buf).expect("a GELF datagram within 5 s");
            assert_eq!(&buf[..2], &[0x1f, 0x8b], "gzip magic");
            let mut text = String::new();
            flate2::read::GzDecoder::new(&buf[..n])
                .read_to_string(&mut text)
                .expect("gzip");
            let m: serde_json::Value = serde_json::from_str(&text).expect("GELF JSON");
            assert_eq!(m["version"], "1.1");
            assert!(m["host"].as_str().is_some_and(|h| !h.is_empty()), "{m}");
            assert!(m["timestamp"].as_f64().is_some(), "{m}");
            // telemetry/logstash: the message is krakend-logstash's record, the logging
            // prefix its module.
            let record: serde_json::Value =
                serde_json::from_str(m["short_message"].as_str().unwrap_or("")).expect("a record");
            assert_eq!(record["module"], "[STATS-GW]", "{m}");
            assert_eq!(record["@version"], 1, "{m}");
            assert!(
                record["@timestamp"].as_str().is_some_and(|t| t.len() == 32),
                "{m}"
            );
            if record["message"]
                .as_str()
                .is_some_and(|s| s.starts_with("[ENDPOINT: /broken]"))
            {
                assert_eq!(record["level"], "ERROR", "{m}");
                assert_eq!(record["host"], m["host"], "{m}");
                return m;
            }
        }
        panic!("no GELF message for the /broken error");
    })
    .await
    .expect("join");
    assert_eq!(found["level"], 3, "ERROR is syslog severity 3: {found}");

    // InfluxDB: the points a query reads back.
    let Some(mut influxd) = influxd else {
        return;
    };
    let up = eventually(Duration::from_secs(10), || async {
        let r = client()
            .get(format!("http://127.0.0.1:{INFLUX_HTTP}/ping"))
            .send()
            .await;
        r.ok().filter(|r| r.status().as_u16() == 204)
    })
    .await;
    assert!(
        up.is_some(),
        "influxd answers /ping within 10 s: {}",
        influxd.diagnosis()
    );
    let (status, body) = influx_query("CREATE DATABASE krustd_stats").await;
    assert_eq!(status, 200, "{body}");
    let rows = eventually(Duration::from_secs(8), || async {
        let (_, body) =
            influx_query("SELECT total FROM responses WHERE \"name\" = '/ok' AND status = '200'")
                .await;
        let v = json(&body);
        let total = v["results"][0]["series"][0]["values"]
            .as_array()?
            .last()?
            .get(1)?
            .as_i64()?;
        (total == 3).then_some(v)
    })
    .await;
    assert!(
        rows.is_some(),
        "InfluxDB holds the /ok responses within 8 s"
    );
    for (layer, name, total) in [("backend", "/a", 4), ("pipe", "/ok", 3)] {
        let (_, body) = influx_query(&format!("SELECT total FROM requests WHERE layer = '{layer}' AND \"name\" = '{name}' AND complete = 'true' AND error = 'false'")).await;
        let v = json(&body);
        let last = v["results"][0]["series"][0]["values"]
            .as_array()
            .and_then(|a| a.last().cloned());
        assert_eq!(last.and_then(|r| r[1].as_i64()), Some(total), "{body}");
    }
    let (_, body) = influx_query("SELECT * FROM router WHERE direction = 'in'").await;
    assert!(body.contains("\"total\""), "{body}");
}
