//! Syslog output of `telemetry/logging` (Go's `log/syslog`, as KrakenD uses it): every
//! message is `<PRI>Jan _2 15:04:05 tag[pid]: LEVEL > message`, one datagram each, sent by a
//! writer thread from a bounded queue (a full queue drops and counts the message).
//!
//! Where to: `KRUSTD_SYSLOG` when set (`unix:/path`, a bare path, or `udp:host:port`; UDP uses
//! Go's network form with an RFC 3339 time and the host name), else the first of `/dev/log`,
//! `/var/run/syslog`, `/var/run/log` that accepts a datagram socket, as Go's local syslog.

use super::logging::{program, SyslogSpec, TimePart};
use crate::log::Level;
use std::sync::mpsc::{sync_channel, SyncSender};

/// The environment variable naming the syslog destination.
pub const ENV: &str = "KRUSTD_SYSLOG";
/// Go's local syslog sockets, in the order it tries them.
pub const LOCAL_SOCKETS: &[&str] = &["/dev/log", "/var/run/syslog", "/var/run/log"];

enum Target {
    Unix(std::os::unix::net::UnixDatagram, String),
    Udp(std::net::UdpSocket),
}

impl Target {
    fn send(&self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Target::Unix(s, path) => s.send_to(bytes, path).map(|_| ()),
            Target::Udp(s) => s.send(bytes).map(|_| ()),
        }
    }
}

/// A connected syslog writer.
#[derive(Debug)]
pub struct Syslog {
    tx: SyncSender<String>,
    spec: SyslogSpec,
    network: bool,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::Unix(_, p) => write!(f, "unix:{p}"),
            Target::Udp(s) => write!(f, "udp:{:?}", s.peer_addr().ok()),
        }
    }
}

fn connect(dest: Option<&str>) -> Result<Target, String> {
    let unix = |path: &str| -> Result<Target, String> {
        let s = std::os::unix::net::UnixDatagram::unbound()
            .map_err(|e| format!("syslog socket: {e}"))?;
        // Probe: a datagram socket that nobody reads fails here.
        s.connect(path).map_err(|e| format!("syslog {path}: {e}"))?;
        Ok(Target::Unix(s, path.to_owned()))
    };
    match dest {
        Some(d) => {
            if let Some(addr) = d.strip_prefix("udp:") {
                let s = std::net::UdpSocket::bind(("0.0.0.0", 0))
                    .map_err(|e| format!("syslog socket: {e}"))?;
                s.connect(addr).map_err(|e| format!("syslog {addr}: {e}"))?;
                Ok(Target::Udp(s))
            } else {
                unix(d.strip_prefix("unix:").unwrap_or(d))
            }
        }
        None => LOCAL_SOCKETS
            .iter()
            .find_map(|p| unix(p).ok())
            .ok_or_else(|| "Unix syslog delivery error".to_owned()),
    }
}

impl Syslog {
    /// Connects to the destination [`ENV`] names (or the local socket) and starts the writer.
    pub fn from_env(spec: &SyslogSpec) -> Result<Syslog, String> {
        let dest = std::env::var(ENV).ok().filter(|v| !v.is_empty());
        let target = connect(dest.as_deref())?;
        let network = matches!(target, Target::Udp(_));
        let (tx, rx) = sync_channel::<String>(super::logging::QUEUE);
        std::thread::Builder::new()
            .name("krustd-syslog".to_owned())
            .spawn(move || {
                let mut target = target;
                while let Ok(msg) = rx.recv() {
                    if target.send(msg.as_bytes()).is_err() {
                        // The daemon may have restarted: reconnect once, as Go does.
                        if let Ok(t) = connect(dest.as_deref()) {
                            target = t;
                            let _ = target.send(msg.as_bytes());
                        }
                    }
                }
            })
            .map_err(|e| format!("syslog writer thread: {e}"))?;
        Ok(Syslog {
            tx,
            spec: *spec,
            network,
        })
    }

    /// Queues one message (`LEVEL > message`), or drops and counts it.
    pub fn send(&self, level: Level, message: &str) {
        let line = format_message(
            &self.spec,
            self.network,
            level,
            message,
            std::time::SystemTime::now(),
        );
        if self.tx.try_send(line).is_err() {
            super::logging::count_dropped();
        }
    }
}

/// One syslog message as Go's `log/syslog` writes it.
pub fn format_message(
    spec: &SyslogSpec,
    network: bool,
    level: Level,
    message: &str,
    now: std::time::SystemTime,
) -> String {
    let pri = u16::from(spec.facility) * 8 + u16::from(spec.severity);
    let tag = if spec.tag.is_empty() {
        program()
    } else {
        spec.tag
    };
    let mut stamp = String::new();
    let nl = if message.ends_with('\n') { "" } else { "\n" };
    let pid = std::process::id();
    if network {
        super::logging::time(
            &mut stamp,
            &[
                TimePart::Year4,
                TimePart::Lit("-"),
                TimePart::Month2,
                TimePart::Lit("-"),
                TimePart::Day2,
                TimePart::Lit("T"),
                TimePart::Hour24,
                TimePart::Lit(":"),
                TimePart::Minute2,
                TimePart::Lit(":"),
                TimePart::Second2,
                TimePart::Offset {
                    colon: true,
                    z: true,
                },
            ],
            now,
        );
        let host = hostname();
        format!(
            "<{pri}>{stamp} {host} {tag}[{pid}]: {} > {message}{nl}",
            level.label()
        )
    } else {
        // time.Stamp: "Jan _2 15:04:05".
        super::logging::time(
            &mut stamp,
            &[
                TimePart::MonthName,
                TimePart::Lit(" "),
                TimePart::Day1,
                TimePart::Lit(" "),
                TimePart::Hour24,
                TimePart::Lit(":"),
                TimePart::Minute2,
                TimePart::Lit(":"),
                TimePart::Second2,
            ],
            now,
        );
        // `_2`: the day padded with a space.
        if stamp.as_bytes().get(5) == Some(&b' ') {
            stamp.insert(4, ' ');
        }
        format!(
            "<{pri}>{stamp} {tag}[{pid}]: {} > {message}{nl}",
            level.label()
        )
    }
}

/// The host name (read once; `localhost` when unknown).
pub(crate) fn hostname() -> &'static str {
    static HOST: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HOST.get_or_init(|| {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|h| h.trim().to_owned())
            .unwrap_or_else(|_| "localhost".to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    #[test]
    fn go_syslog_format() {
        let spec = SyslogSpec {
            facility: 19,
            severity: 4,
            tag: "[GW]",
        };
        let t = UNIX_EPOCH + Duration::from_secs(1_699_000_000); // 2023-11-03 08:26:40
        let m = format_message(&spec, false, Level::Error, "boom", t);
        assert_eq!(
            m,
            format!(
                "<156>Nov  3 08:26:40 [GW][{}]: ERROR > boom\n",
                std::process::id()
            )
        );
    }
}
