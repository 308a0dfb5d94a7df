//! Fault matrix: every backend fault × every endpoint kind, each cell a test over real HTTP
//! (contract: tests/contracts/faults.json, 300 ms endpoint timeout).
//!
//! Faults: refused, reset mid-body, headers never sent, body never finished, invalid JSON,
//! truncated gzip, body over the limit, wrong content-type, 204, a redirect loop, 5xx, an
//! unresolvable host (`.invalid`, which never resolves). Kinds: a single backend, a 3-way merge
//! (two good backends beside the faulty one), a sequence (good step 0, faulty step 1) and a
//! `no-op` endpoint. Each cell asserts status, body and `X-Krakend-Completed` (responses.md
//! §1, §4, §7) and that nothing leaks: the mock's connections and the runtime's tasks return to
//! their baseline once the answer is read.

mod common;
use common::*;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// A gzip stream of a JSON object, cut after 24 of its 50 bytes.
const TRUNCATED_GZIP: &[u8] = &[
    31, 139, 8, 0, 90, 241, 12, 107, 2, 255, 171, 86, 202, 76, 81, 178, 82, 50, 84, 210, 81, 202,
    207, 86,
];
const OK_BODY: &str = r#"{"id":"1","ok":true}"#;
/// Past the gateway's 64 MiB bound for decoded backend bodies.
const TOO_BIG: u64 = 70 << 20;
/// Upper bound of any mock connection (a hanging fault waits for the gateway to give up).
const MOCK_LIMIT: Duration = Duration::from_secs(5);

/// A raw HTTP/1.1 mock: one request per connection, `Connection: close`, faults by path.
struct Mock {
    addr: std::net::SocketAddr,
    open: Arc<AtomicUsize>,
}

struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

async fn start_mock() -> Mock {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let open = Arc::new(AtomicUsize::new(0));
    let counter = open.clone();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let guard = Open(counter.clone());
            tokio::spawn(async move {
                let _guard = guard;
                let _ = tokio::time::timeout(MOCK_LIMIT, answer(stream)).await;
            });
        }
    });
    Mock { addr, open }
}

/// Reads the request head (bounded) and returns its path without the query.
async fn read_head(stream: &mut TcpStream) -> std::io::Result<String> {
    let mut head = Vec::new();
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 64 << 10 {
        let n = stream.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        head.extend_from_slice(&buf[..n]);
    }
    let text = String::from_utf8_lossy(&head);
    let target = text.split(' ').nth(1).unwrap_or("/");
    Ok(target.split('?').next().unwrap_or("/").to_owned())
}

/// Waits until the gateway closes the connection.
async fn until_closed(stream: &mut TcpStream) {
    let mut buf = [0u8; 256];
    while let Ok(n) = stream.read(&mut buf).await {
        if n == 0 {
            break;
        }
    }
}

fn head(status: &str, headers: &[(&str, &str)], len: u64) -> Vec<u8> {
    let mut h = format!("HTTP/1.1 {status}\r\nConnection: close\r\nContent-Length: {len}\r\n");
    for (k, v) in headers {
        h.push_str(&format!("{k}: {v}\r\n"));
    }
    h.push_str("\r\n");
    h.into_bytes()
}

async fn answer(mut s: TcpStream) -> std::io::Result<()> {
    let path = read_head(&mut s).await?;
    let json = [("Content-Type", "application/json")];
    let full = |status: &str, headers: &[(&str, &str)], body: &[u8]| {
        let mut out = head(status, headers, body.len() as u64);
        out.extend_from_slice(body);
        out
    };
    let out = match path.as_str() {
        "/ok" => full("200 OK", &json, OK_BODY.as_bytes()),
        "/reset" => {
            s.write_all(&head("200 OK", &json, 1000)).await?;
            s.write_all(br#"{"id":"1","#).await?;
            s.flush().await?;
            tokio::time::sleep(Duration::from_millis(20)).await;
            s.set_zero_linger()?;
            return Ok(());
        }
        "/no-headers" => {
            until_closed(&mut s).await;
            return Ok(());
        }
        "/no-end" => {
            s.write_all(&head("200 OK", &json, 1000)).await?;
            s.write_all(br#"{"id":"1","#).await?;
            until_closed(&mut s).await;
            return Ok(());
        }
        "/invalid-json" => full("200 OK", &json, b"{not json"),
        "/bad-gzip" => full(
            "200 OK",
            &[
                ("Content-Type", "application/json"),
                ("Content-Encoding", "gzip"),
            ],
            TRUNCATED_GZIP,
        ),
        "/too-big" => {
            let mut out = head("200 OK", &json, TOO_BIG);
            out.extend_from_slice(br#"{"id":"1","#);
            out
        }
        "/wrong-ct" => full(
            "200 OK",
            &[("Content-Type", "text/html")],
            OK_BODY.as_bytes(),
        ),
        "/204" => head("204 No Content", &[], 0),
        "/loop" => head("302 Found", &[("Location", "/loop")], 0),
        "/500" => full(
            "500 Internal Server Error",
            &[("Content-Type", "text/plain")],
            b"oops",
        ),
        _ => full("404 Not Found", &[], b""),
    };
    s.write_all(&out).await?;
    s.flush().await?;
    Ok(())
}

/// A port that refuses connections: bound, never listening (held for the test).
fn refusing_socket() -> (tokio::net::TcpSocket, std::net::SocketAddr) {
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket
        .bind("127.0.0.1:0".parse().expect("addr"))
        .expect("bind");
    let addr = socket.local_addr().expect("addr");
    (socket, addr)
}

async fn gateway(mock: &Mock, refused: std::net::SocketAddr) -> String {
    let mock_url = format!("http://{}", mock.addr);
    let refused_url = format!("http://{refused}");
    let gw = krustd_macros::gateway!(
        "tests/contracts/faults.json",
        hosts(&[
            ("http://good", mock_url.as_str()),
            ("http://faulty", mock_url.as_str()),
            ("http://refused", refused_url.as_str()),
        ])
    );
    start(gw).await
}

/// What the client gets.
#[derive(Debug, Clone, Copy)]
enum Body {
    /// No body at all.
    Empty,
    /// Exactly this text.
    Text(&'static str),
    /// This JSON (compared as values).
    Json(&'static str),
    /// No complete answer: the body breaks off after the head (or, when the stream fails on its
    /// first chunk, the connection closes before the head).
    Broken,
}

#[derive(Debug, Clone, Copy)]
struct Expect {
    status: u16,
    body: Body,
    completed: &'static str,
}

const fn expect(status: u16, body: Body, completed: &'static str) -> Expect {
    Expect {
        status,
        body,
        completed,
    }
}

/// A single backend failed: 500, no body without `return_error_msg`.
const SINGLE_FAILED: Expect = expect(500, Body::Empty, "false");
const SINGLE_OK: Expect = expect(200, Body::Json(OK_BODY), "true");
/// The two good backends of the merge answer; the faulty one is left out.
const MERGE_PARTIAL: Expect = expect(
    200,
    Body::Json(r#"{"a":{"id":"1","ok":true},"b":{"id":"1","ok":true}}"#),
    "false",
);
const MERGE_OK: Expect = expect(
    200,
    Body::Json(r#"{"a":{"id":"1","ok":true},"b":{"id":"1","ok":true},"c":{"id":"1","ok":true}}"#),
    "true",
);
/// Step 1 failed: the data of step 0, incomplete.
const SEQ_PARTIAL: Expect = expect(200, Body::Json(OK_BODY), "false");
const SEQ_OK: Expect = expect(
    200,
    Body::Json(r#"{"id":"1","ok":true,"c":{"id":"1","ok":true}}"#),
    "true",
);
/// `no-op`: a transport failure is a 500; any answer passes through, never completed.
const NOOP_FAILED: Expect = expect(500, Body::Empty, "false");
const NOOP_BROKEN: Expect = expect(200, Body::Broken, "false");

/// Runs one cell: the request, its expected answer, then the leak check.
async fn cell(path: &str, want: Expect) {
    let mock = start_mock().await;
    let (_refusing, refused) = refusing_socket();
    let gw = gateway(&mock, refused).await;
    let metrics = tokio::runtime::Handle::current().metrics();
    let baseline = metrics.num_alive_tasks();

    let started = std::time::Instant::now();
    let sent = client()
        .get(format!("{gw}{path}"))
        .header("accept-encoding", "identity")
        .send()
        .await;
    let resp = match (sent, want.body) {
        (Ok(r), _) => Some(r),
        // A streamed answer that fails on its first chunk: the connection closes before the
        // head is flushed (KrakenD would have sent 200 first). Either way no complete answer.
        (Err(e), Body::Broken) => {
            assert!(e.is_request(), "{path}: {e}");
            None
        }
        (Err(e), _) => panic!("{path}: no answer: {e}"),
    };
    if let Some(resp) = resp {
        check_answer(path, resp, want).await;
    }
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{path}: answered within the endpoint timeout (+ margin): {:?}",
        started.elapsed()
    );
    // Nothing leaks: every backend connection is closed and the gateway's tasks end.
    let mut settled = false;
    for _ in 0..150 {
        if mock.open.load(Ordering::SeqCst) == 0 && metrics.num_alive_tasks() <= baseline {
            settled = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        settled,
        "{path}: leak: {} mock connections open, {} tasks alive (baseline {baseline})",
        mock.open.load(Ordering::SeqCst),
        metrics.num_alive_tasks()
    );
}

/// Status, `X-Krakend-Completed` and body of an answer.
async fn check_answer(path: &str, resp: reqwest::Response, want: Expect) {
    assert_eq!(resp.status().as_u16(), want.status, "{path}: status");
    assert_eq!(
        header(resp.headers(), "x-krakend-completed"),
        Some(want.completed),
        "{path}: X-Krakend-Completed"
    );
    let body = resp.bytes().await;
    match want.body {
        Body::Broken => assert!(body.is_err(), "{path}: the body must break off: {body:?}"),
        Body::Empty => assert_eq!(body.expect("body").as_ref(), b"", "{path}: body"),
        Body::Text(t) => assert_eq!(
            String::from_utf8_lossy(&body.expect("body")),
            t,
            "{path}: body"
        ),
        Body::Json(j) => {
            let got = body.expect("body");
            let got: serde_json::Value = serde_json::from_slice(&got)
                .unwrap_or_else(|e| panic!("{path}: not JSON ({e}): {got:?}"));
            assert_eq!(got, json(j), "{path}: body");
        }
    }
}

macro_rules! cells {
    ($($(#[$attr:meta])* $name:ident: $path:literal => $want:expr;)*) => {
        $(
            $(#[$attr])*
            #[tokio::test]
            async fn $name() {
                cell($path, $want).await;
            }
        )*
    };
}

cells! {
    single_refused: "/single/refused" => SINGLE_FAILED;
    single_reset: "/single/reset" => SINGLE_FAILED;
    single_no_headers: "/single/no-headers" => SINGLE_FAILED;
    single_no_end: "/single/no-end" => SINGLE_FAILED;
    single_invalid_json: "/single/invalid-json" => SINGLE_FAILED;
    single_bad_gzip: "/single/bad-gzip" => SINGLE_FAILED;
    single_too_big: "/single/too-big" => SINGLE_FAILED;
    single_wrong_content_type: "/single/wrong-ct" => SINGLE_OK;
    single_204: "/single/204" => SINGLE_FAILED;
    single_redirect_loop: "/single/loop" => SINGLE_FAILED;
    single_500: "/single/500" => SINGLE_FAILED;
    single_unresolvable: "/single/unresolvable" => SINGLE_FAILED;

    merge_refused: "/merge/refused" => MERGE_PARTIAL;
    merge_reset: "/merge/reset" => MERGE_PARTIAL;
    merge_no_headers: "/merge/no-headers" => MERGE_PARTIAL;
    merge_no_end: "/merge/no-end" => MERGE_PARTIAL;
    merge_invalid_json: "/merge/invalid-json" => MERGE_PARTIAL;
    merge_bad_gzip: "/merge/bad-gzip" => MERGE_PARTIAL;
    merge_too_big: "/merge/too-big" => MERGE_PARTIAL;
    merge_wrong_content_type: "/merge/wrong-ct" => MERGE_OK;
    merge_204: "/merge/204" => MERGE_PARTIAL;
    merge_redirect_loop: "/merge/loop" => MERGE_PARTIAL;
    merge_500: "/merge/500" => MERGE_PARTIAL;
    merge_unresolvable: "/merge/unresolvable" => MERGE_PARTIAL;

    seq_refused: "/seq/refused" => SEQ_PARTIAL;
    seq_reset: "/seq/reset" => SEQ_PARTIAL;
    seq_no_headers: "/seq/no-headers" => SEQ_PARTIAL;
    seq_no_end: "/seq/no-end" => SEQ_PARTIAL;
    seq_invalid_json: "/seq/invalid-json" => SEQ_PARTIAL;
    seq_bad_gzip: "/seq/bad-gzip" => SEQ_PARTIAL;
    seq_too_big: "/seq/too-big" => SEQ_PARTIAL;
    seq_wrong_content_type: "/seq/wrong-ct" => SEQ_OK;
    seq_204: "/seq/204" => SEQ_PARTIAL;
    seq_redirect_loop: "/seq/loop" => SEQ_PARTIAL;
    seq_500: "/seq/500" => SEQ_PARTIAL;
    seq_unresolvable: "/seq/unresolvable" => SEQ_PARTIAL;

    noop_refused: "/noop/refused" => NOOP_FAILED;
    noop_reset: "/noop/reset" => NOOP_BROKEN;
    noop_no_headers: "/noop/no-headers" => NOOP_FAILED;
    noop_no_end: "/noop/no-end" => NOOP_BROKEN;
    noop_invalid_json: "/noop/invalid-json" => expect(200, Body::Text("{not json"), "false");
    noop_bad_gzip: "/noop/bad-gzip" => NOOP_BROKEN;
    noop_too_big: "/noop/too-big" => NOOP_BROKEN;
    noop_wrong_content_type: "/noop/wrong-ct" => expect(200, Body::Text(OK_BODY), "false");
    noop_204: "/noop/204" => expect(204, Body::Empty, "false");
    noop_redirect_loop: "/noop/loop" => NOOP_FAILED;
    noop_500: "/noop/500" => expect(500, Body::Text("oops"), "false");
    noop_unresolvable: "/noop/unresolvable" => NOOP_FAILED;
}
