//! `telemetry/opentelemetry` with a Prometheus exporter, through real HTTP: requests are
//! counted by route, method and status, timed, and every series carries the build identity
//! (the contract name label included); the exporter's text is parsed here. `/__stats`
//! (`telemetry/metrics` with `proxy_disabled`) shows no pipe layer.

mod common;
use common::*;
use std::collections::HashMap;

/// `name{labels} value` lines of the exposition text, labels parsed.
fn samples(text: &str) -> Vec<(String, HashMap<String, String>, f64)> {
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let (series, value) = line.rsplit_once(' ').expect("a value");
        let (name, labels) = match series.split_once('{') {
            Some((n, rest)) => (n, rest.trim_end_matches('}')),
            None => (series, ""),
        };
        let mut map = HashMap::new();
        // Values here hold no `",` sequence.
        for pair in labels.split("\",").filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once("=\"").expect("k=\"v\"");
            map.insert(k.to_owned(), v.trim_end_matches('"').to_owned());
        }
        out.push((name.to_owned(), map, value.parse().expect("a number")));
    }
    out
}

/// The measured `/c/*` twins do take the canonical JSON path (and the `/g/*` ones the generic
/// path), so the comparison below compares the two paths.
#[test]
fn measured_endpoints_take_the_canonical_path() {
    let code = include_str!("../generated/features/telemetry_metrics.rs");
    // /ok, /users/{id}, /broken and the three /c/* endpoints; the three /g/* ones do not.
    assert_eq!(code.matches("__rt::canonical_json::respond(").count(), 6);
    assert_eq!(code.matches("__rt::telemetry::measured(").count(), 9);
}

#[tokio::test]
async fn the_prometheus_exporter_counts_requests_with_the_build_identity() {
    let mock_url = start(mock()).await;
    let gw = start(krustd_macros::gateway!(
        "contracts/features/telemetry_metrics.json",
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
    assert_eq!(get(&format!("{gw}/broken")).await.0, 500);
    // Skipped by default (`skip_paths`).
    assert_eq!(get(&format!("{gw}/__health")).await.0, 200);

    let addr = krustd_runtime::telemetry::exporter_addrs()
        .first()
        .copied()
        .expect("the exporter listens");
    assert_eq!(addr.port(), 27913);
    let (status, headers, text) = get(&format!("http://{addr}/metrics")).await;
    assert_eq!(status, 200);
    assert!(header(&headers, "content-type")
        .unwrap_or("")
        .starts_with("text/plain; version=0.0.4"));
    let s = samples(&text);
    let requests = |route: &str, status: &str| {
        s.iter()
            .find(|(n, l, _)| {
                n == "http_server_requests_total"
                    && l.get("http_route").map(String::as_str) == Some(route)
                    && l.get("http_response_status_code").map(String::as_str) == Some(status)
            })
            .map(|(_, l, v)| (l.clone(), *v))
    };
    let (labels, n) = requests("/ok", "200").unwrap_or_else(|| panic!("{text}"));
    assert_eq!(n, 3.0);
    assert_eq!(labels["contract"], "telemetry metrics");
    assert_eq!(labels["service_name"], "metered-gateway");
    assert_eq!(labels["http_request_method"], "GET");
    assert_eq!(labels["contract_sha256"].len(), 64);
    assert!(labels.contains_key("release"));
    assert_eq!(requests("/users/{id}", "200").map(|r| r.1), Some(1.0));
    assert_eq!(requests("/broken", "500").map(|r| r.1), Some(1.0));
    assert!(requests("/__health", "200").is_none(), "{text}");
    // The histogram: three /ok requests, all in +Inf, cumulative buckets.
    let count = s
        .iter()
        .find(|(n, l, _)| {
            n == "http_server_request_duration_seconds_count"
                && l.get("http_route").map(String::as_str) == Some("/ok")
        })
        .map(|x| x.2);
    assert_eq!(count, Some(3.0));
    let inf = s
        .iter()
        .find(|(n, l, _)| {
            n == "http_server_request_duration_seconds_bucket"
                && l.get("http_route").map(String::as_str) == Some("/ok")
                && l.get("le").map(String::as_str) == Some("+Inf")
        })
        .map(|x| x.2);
    assert_eq!(inf, Some(3.0));
    let active = s
        .iter()
        .find(|(n, _, _)| n == "http_server_active_requests")
        .map(|x| x.2);
    assert_eq!(active, Some(0.0));
    // Backend calls: timed per backend, failures by kind.
    let backend_count = s
        .iter()
        .find(|(n, l, _)| {
            n == "http_client_request_duration_seconds_count"
                && l.get("http_route").map(String::as_str) == Some("/ok")
                && l.get("backend").map(String::as_str) == Some("/a")
        })
        .map(|x| x.2);
    assert_eq!(backend_count, Some(3.0), "{text}");
    let route_is =
        |l: &HashMap<String, String>, r: &str| l.get("http_route").map(String::as_str) == Some(r);
    let errors = s
        .iter()
        .find(|(n, l, _)| n == "krustd_backend_errors_total" && route_is(l, "/broken"))
        .map(|(_, l, v)| (l["error_type"].clone(), *v));
    assert_eq!(errors, Some(("connection".to_owned(), 1.0)), "{text}");
    assert!(!s
        .iter()
        .any(|(n, l, _)| n == "krustd_backend_errors_total" && route_is(l, "/ok")));
    assert!(s
        .iter()
        .any(|(n, l, v)| n == "target_info" && l["contract"] == "telemetry metrics" && *v == 1.0));

    // `/__stats` beside the exporter, with `proxy_disabled`: the backend layer and no pipe one.
    let addr = krustd_runtime::telemetry::stats::stats_addr().expect("/__stats listens");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let stats = loop {
        let v = json(&get(&format!("http://{addr}/__stats")).await.2);
        let backend = "krakend.proxy.requests.layer.backend.name./a.complete.true.error.false";
        if v[backend] == 3 {
            break v;
        }
        assert!(std::time::Instant::now() < deadline, "{v}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    };
    let keys = stats.as_object().expect("an object");
    assert!(keys.contains_key("krakend.router.response./ok.status.200.count"));
    assert!(!keys.keys().any(|k| k.contains(".layer.pipe.")), "{stats}");
    canonical_and_generic_paths_record_the_same_backend_metrics(&gw).await;
}

/// An endpoint on the canonical JSON path (`/c/...`) and its shaped twin on the generic path
/// (`/g/...`) record the same backend calls: counts and failures by kind in the Prometheus
/// exporter, outcomes in `/__stats` (by backend name).
async fn canonical_and_generic_paths_record_the_same_backend_metrics(gw: &str) {
    let cases = ["echo", "status", "invalid"];
    for case in cases {
        for _ in 0..2 {
            let c = get(&format!("{gw}/c/{case}")).await.0;
            assert_eq!(c, get(&format!("{gw}/g/{case}")).await.0, "{case}");
        }
    }
    let addr = krustd_runtime::telemetry::exporter_addrs()
        .first()
        .copied()
        .expect("the exporter listens");
    let text = get(&format!("http://{addr}/metrics")).await.2;
    let s = samples(&text);
    // The backend series of one endpoint: name, labels but the route, value (no timings).
    let series = |route: &str| {
        let mut out: Vec<String> = s
            .iter()
            .filter(|(n, l, _)| {
                (n == "http_client_request_duration_seconds_count"
                    || n == "krustd_backend_errors_total")
                    && l.get("http_route").map(String::as_str) == Some(route)
            })
            .map(|(n, l, v)| {
                let mut l: Vec<_> = l
                    .iter()
                    .filter(|(k, _)| *k != "http_route" && *k != "backend")
                    .map(|(k, v)| format!("{k}={v}"))
                    .collect();
                l.sort();
                format!("{n}{{{}}} {v}", l.join(","))
            })
            .collect();
        out.sort();
        out
    };
    for case in cases {
        let canonical = series(&format!("/c/{case}"));
        assert!(
            canonical.iter().any(|l| l.ends_with(" 2")),
            "{case}: {canonical:?}"
        );
        assert_eq!(canonical, series(&format!("/g/{case}")), "{case}");
    }
    assert!(
        series("/c/status")
            .iter()
            .any(|l| l.contains("error_type=status") && l.ends_with(" 2")),
        "{text}"
    );
    // `/__stats`: the same outcomes for the two backend names of each pair.
    let addr = krustd_runtime::telemetry::stats::stats_addr().expect("/__stats listens");
    let layer = "krakend.proxy.requests.layer.backend.name";
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let v = json(&get(&format!("http://{addr}/__stats")).await.2);
        let outcomes = |name: &str| {
            ["complete.true.error.false", "complete.false.error.true"]
                .map(|o| v[format!("{layer}.{name}.{o}").as_str()].as_i64())
        };
        let pairs = [("/echo/c", "/echo/g"), ("/status/503", "/status/0503")];
        let expected = [[Some(2), Some(0)], [Some(0), Some(2)]];
        if pairs
            .iter()
            .zip(expected)
            .all(|((c, g), e)| outcomes(c) == e && outcomes(g) == e)
        {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "{v}");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
