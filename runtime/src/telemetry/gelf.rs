//! `telemetry/gelf`: every application log line (with the logging `prefix`) also sent to a
//! Graylog input as a GELF 1.1 message, as krakend-gelf (go-gelf v2) does: over UDP gzipped
//! (fastest level) and split into GELF chunks above 1420 bytes (at most 128 chunks), or over
//! TCP uncompressed and null-terminated. Messages go through a bounded queue to one writer
//! thread: a log call never waits for the network; a message that does not fit is dropped and
//! counted with the other dropped log lines.
//!
//! `level` is the line's syslog severity (go-gelf always writes 6).

use crate::log::Level;
use std::io::Write as _;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::sync::OnceLock;
use std::time::{Duration, SystemTime};

/// `telemetry/gelf`.
#[derive(Debug)]
pub struct GelfSpec {
    pub host: &'static str,
    pub port: u16,
    /// `enable_tcp`.
    pub tcp: bool,
    /// Send the rendered log line (the `telemetry/logstash` record) rather than the prefixed
    /// message, as KrakenD does when both namespaces are present.
    pub record: bool,
}

/// go-gelf's UDP chunk size (header included) and chunk header length.
pub const CHUNK_SIZE: usize = 1420;
const CHUNK_HEADER: usize = 12;
/// The most chunks a GELF message may have.
pub const MAX_CHUNKS: usize = 128;

type Queue = SyncSender<(Level, String, SystemTime)>;
static GELF: OnceLock<(Queue, bool)> = OnceLock::new();

/// Starts the writer thread (once per process).
pub fn install(spec: &'static GelfSpec) {
    let _ = GELF.get_or_init(|| {
        let (tx, rx) = sync_channel(super::logging::QUEUE);
        let spawned = std::thread::Builder::new()
            .name("krustd-gelf".to_owned())
            .spawn(move || writer(spec, rx));
        if let Err(e) = spawned {
            crate::log::stdout_line(&format!(
                "[SERVICE: Logging][GELF] Unable to create the writer: {e}"
            ));
        }
        (tx, spec.record)
    });
}

/// Queues one log line, or drops and counts it.
pub(crate) fn send(level: Level, logging: &super::LoggingSpec, message: &str) {
    if let Some((tx, record)) = GELF.get() {
        let now = SystemTime::now();
        let line = if *record {
            let mut line = String::with_capacity(128 + message.len());
            super::logging::render(&mut line, logging.pattern, level, message, now);
            line
        } else {
            format!("{}{message}", logging.prefix)
        };
        if tx.try_send((level, line, now)).is_err() {
            super::logging::count_dropped();
        }
    }
}

/// The syslog severity of a level.
fn severity(level: Level) -> u8 {
    match level {
        Level::Debug => 7,
        Level::Info => 6,
        Level::Warning => 4,
        Level::Error => 3,
        Level::Critical => 2,
    }
}

/// One GELF 1.1 message: the first line of the trimmed text is `short_message`, the whole text
/// `full_message` when it has several lines.
pub fn message(
    host: &str,
    facility: Option<&str>,
    level: Level,
    text: &str,
    now: SystemTime,
) -> String {
    let text = text.trim();
    let (short, full) = match text.find('\n') {
        Some(i) if i > 0 => (&text[..i], Some(text)),
        _ => (text, None),
    };
    let ts = now
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_secs_f64());
    let mut out = String::with_capacity(96 + text.len() * 2);
    out.push_str("{\"version\":\"1.1\",\"host\":\"");
    super::logging::json_escape(&mut out, host);
    out.push_str("\",\"short_message\":\"");
    super::logging::json_escape(&mut out, short);
    if let Some(full) = full {
        out.push_str("\",\"full_message\":\"");
        super::logging::json_escape(&mut out, full);
    }
    out.push_str(&format!(
        "\",\"timestamp\":{ts:.6},\"level\":{}",
        severity(level)
    ));
    if let Some(f) = facility {
        out.push_str(",\"facility\":\"");
        super::logging::json_escape(&mut out, f);
        out.push('"');
    }
    out.push('}');
    out
}

/// The UDP datagrams of a (compressed) payload: itself when it fits in one, else GELF chunks
/// (`0x1e 0x0f`, 8-byte message id, sequence number, count, data).
pub fn datagrams(payload: &[u8], id: [u8; 8]) -> Result<Vec<Vec<u8>>, String> {
    if payload.len() <= CHUNK_SIZE {
        return Ok(vec![payload.to_vec()]);
    }
    let data = CHUNK_SIZE - CHUNK_HEADER;
    let n = payload.len().div_ceil(data);
    if n > MAX_CHUNKS {
        return Err(format!("msg too large, would need {n} chunks"));
    }
    Ok(payload
        .chunks(data)
        .enumerate()
        .map(|(i, chunk)| {
            let mut d = Vec::with_capacity(CHUNK_HEADER + chunk.len());
            d.extend_from_slice(&[0x1e, 0x0f]);
            d.extend_from_slice(&id);
            d.push(i as u8);
            d.push(n as u8);
            d.extend_from_slice(chunk);
            d
        })
        .collect())
}

fn gzip(bytes: &[u8]) -> std::io::Result<Vec<u8>> {
    let mut z = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    z.write_all(bytes)?;
    z.finish()
}

/// A message id unique enough for reassembly: time and a sequence number, mixed.
fn message_id(seq: u64) -> [u8; 8] {
    let nanos = SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    (nanos ^ seq.wrapping_mul(0x9E37_79B9_7F4A_7C15)).to_be_bytes()
}

fn writer(spec: &'static GelfSpec, rx: Receiver<(Level, String, SystemTime)>) {
    let host = super::syslog::hostname();
    let addr = format!("{}:{}", spec.host, spec.port);
    let log_error = |e: &str| {
        // Not through the logger: that would feed this very queue.
        crate::log::stdout_line(&format!("[SERVICE: Logging][GELF] {e}"));
    };
    if spec.tcp {
        let mut conn: Option<std::net::TcpStream> = None;
        while let Ok((level, text, now)) = rx.recv() {
            let mut bytes = message(host, None, level, &text, now).into_bytes();
            bytes.push(0);
            // One reconnection per message, bounded in time (go-gelf retries three times).
            for _ in 0..2 {
                if conn.is_none() {
                    conn = connect_tcp(&addr);
                }
                let Some(c) = conn.as_mut() else {
                    break;
                };
                if c.write_all(&bytes).is_ok() {
                    break;
                }
                conn = None;
            }
            if conn.is_none() {
                super::logging::count_dropped();
            }
        }
        return;
    }
    let socket = match std::net::UdpSocket::bind(("0.0.0.0", 0))
        .and_then(|s| s.connect(&addr).map(|()| s))
    {
        Ok(s) => s,
        Err(e) => {
            log_error(&format!("Unable to create the writer: {addr}: {e}"));
            return;
        }
    };
    let facility = super::logging::program();
    let mut seq = 0u64;
    while let Ok((level, text, now)) = rx.recv() {
        seq += 1;
        let sent = gzip(message(host, Some(facility), level, &text, now).as_bytes())
            .map_err(|e| e.to_string())
            .and_then(|z| datagrams(&z, message_id(seq)))
            .and_then(|ds| {
                ds.iter()
                    .try_for_each(|d| socket.send(d).map(|_| ()))
                    .map_err(|e| e.to_string())
            });
        if sent.is_err() {
            super::logging::count_dropped();
        }
    }
}

fn connect_tcp(addr: &str) -> Option<std::net::TcpStream> {
    use std::net::ToSocketAddrs;
    let a = addr.to_socket_addrs().ok()?.next()?;
    let s = std::net::TcpStream::connect_timeout(&a, Duration::from_secs(1)).ok()?;
    let _ = s.set_write_timeout(Some(Duration::from_secs(2)));
    Some(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_and_chunks() {
        let m = message(
            "h",
            Some("gw"),
            Level::Warning,
            " first\nsecond \n",
            std::time::UNIX_EPOCH + Duration::from_millis(1500),
        );
        let v: serde_json::Value = serde_json::from_str(&m).expect("JSON");
        assert_eq!(v["version"], "1.1");
        assert_eq!(v["short_message"], "first");
        assert_eq!(v["full_message"], "first\nsecond");
        assert_eq!(v["level"], 4);
        assert_eq!(v["facility"], "gw");
        assert_eq!(v["timestamp"].as_f64(), Some(1.5));
        assert_eq!(datagrams(&[1; 1420], [0; 8]).map(|d| d.len()), Ok(1));
        let ds = datagrams(&[7; 3000], [9; 8]).expect("chunks");
        assert_eq!(ds.len(), 3);
        assert_eq!(&ds[1][..12], &[0x1e, 0x0f, 9, 9, 9, 9, 9, 9, 9, 9, 1, 3]);
        assert_eq!(ds.iter().map(|d| d.len() - 12).sum::<usize>(), 3000);
        assert!(datagrams(&vec![0; 1408 * 128 + 1], [0; 8]).is_err());
    }
}
