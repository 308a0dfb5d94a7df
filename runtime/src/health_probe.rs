//! `krustd --health-check`: the gateway probing itself, for container `HEALTHCHECK`s in images
//! without a shell or curl (`FROM scratch`). One blocking `GET` of the health path (`/__health`
//! unless the contract's router `health_path` says otherwise) to the gateway's own
//! listen address (the loopback when it listens on every interface), before any runtime
//! starts; exit 0 on a 200, 1 otherwise.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpStream};
use std::time::Duration;

/// The probe's budget for connecting, writing and reading, each.
const TIMEOUT: Duration = Duration::from_secs(2);
/// The status line fits well within this; the rest of the answer is not read.
const HEAD: usize = 64;

/// Where the probe connects for a gateway listening on `listen`.
pub fn target(listen: SocketAddr) -> SocketAddr {
    let ip = match listen.ip() {
        IpAddr::V4(ip) if ip.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(ip) if ip.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
        ip => ip,
    };
    SocketAddr::new(ip, listen.port())
}

/// `Ok(())` when `GET path` on `addr` answers 200; else why not.
pub fn probe(addr: SocketAddr, path: &str) -> Result<(), String> {
    let mut s = TcpStream::connect_timeout(&addr, TIMEOUT)
        .map_err(|e| format!("cannot connect to {addr}: {e}"))?;
    s.set_read_timeout(Some(TIMEOUT))
        .and_then(|()| s.set_write_timeout(Some(TIMEOUT)))
        .map_err(|e| e.to_string())?;
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nUser-Agent: krustd-health-check\r\nConnection: close\r\n\r\n"
    );
    s.write_all(request.as_bytes())
        .map_err(|e| format!("cannot send to {addr}: {e}"))?;
    let mut head = [0u8; HEAD];
    let mut n = 0;
    while n < 12 {
        match s.read(&mut head[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) => return Err(format!("no answer from {addr}: {e}")),
        }
    }
    let line = String::from_utf8_lossy(&head[..n]);
    let status = line.split(' ').nth(1).unwrap_or("");
    if line.starts_with("HTTP/1.") && status == "200" {
        Ok(())
    } else {
        Err(format!(
            "{addr}{path} answered {:?}",
            line.lines().next().unwrap_or("")
        ))
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;
    use std::net::TcpListener;

    /// A one-shot server answering `answer` to the first connection.
    fn serve(answer: &'static str) -> SocketAddr {
        let l = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = l.local_addr().unwrap();
        std::thread::spawn(move || {
            if let Ok((mut c, _)) = l.accept() {
                let mut buf = [0u8; 1024];
                let _ = c.set_read_timeout(Some(Duration::from_secs(2)));
                let _ = c.read(&mut buf);
                let _ = c.write_all(answer.as_bytes());
            }
        });
        addr
    }

    fn probe_health(addr: SocketAddr) -> Result<(), String> {
        probe(addr, "/__health")
    }

    #[test]
    fn a_200_passes_and_anything_else_fails() {
        assert_eq!(
            probe_health(serve("HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n")),
            Ok(())
        );
        let e = probe_health(serve("HTTP/1.1 503 Service Unavailable\r\n\r\n")).unwrap_err();
        assert!(e.contains("503"), "{e}");
        assert!(probe_health(serve("garbage")).is_err());
    }

    #[test]
    fn nothing_listening_fails() {
        let addr = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        assert!(probe(addr, "/__health")
            .unwrap_err()
            .contains("cannot connect"));
    }

    #[test]
    fn an_unspecified_listen_address_is_probed_on_the_loopback() {
        let any: SocketAddr = "0.0.0.0:8080".parse().unwrap();
        assert_eq!(target(any), "127.0.0.1:8080".parse().unwrap());
        let any6: SocketAddr = "[::]:81".parse().unwrap();
        assert_eq!(target(any6), "[::1]:81".parse().unwrap());
        let ip: SocketAddr = "10.1.2.3:80".parse().unwrap();
        assert_eq!(target(ip), ip);
    }
}
