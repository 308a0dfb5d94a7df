//! Start-up probe of the load benchmark (`scripts/bench-load.sh`): how long a gateway binary
//! takes from `exec` to its first served request.
//!
//! `startup --bin target/release/krustd --port 9200 [--path /__health]... [--runs 20]
//! [--timeout-ms 5000]`
//!
//! For each `--path` and each run: spawn `BIN -p PORT`, then poll `GET PATH` on 127.0.0.1:PORT
//! (a fresh connection every 100 µs) until it answers 200, record the time since just before
//! the spawn, and kill the process. As a reference measured in the same run, it also times
//! `BIN --version` from spawn to exit: the cost of exec, dynamic loading and argument parsing
//! that any process pays. One line per measurement:
//!
//! `startup what=/__health runs=20 median_us=… min_us=… p90_us=… max_us=… failures=0`
//!
//! Without `--bin` (as `cargo bench` runs it, with `--bench`) it prints the usage and exits.

use std::io::{Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpStream};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const USAGE: &str =
    "usage: startup --bin PATH --port PORT [--path /__health]... [--runs 20] [--timeout-ms 5000]\n\
                     (the start-up probe of scripts/bench-load.sh; see BENCHMARKS.md)";

struct Args {
    bin: String,
    port: u16,
    paths: Vec<String>,
    runs: usize,
    timeout: Duration,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut bin = None;
    let mut port = 9200u16;
    let mut paths = Vec::new();
    let mut runs = 20usize;
    let mut timeout_ms = 5000u64;
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--bench" {
            continue;
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |what: &str| format!("bad {what}: {value}");
        match flag.as_str() {
            "--bin" => bin = Some(value),
            "--port" => port = value.parse().map_err(|_| bad("port"))?,
            "--path" => paths.push(value),
            "--runs" => runs = value.parse().map_err(|_| bad("run count"))?,
            "--timeout-ms" => timeout_ms = value.parse().map_err(|_| bad("timeout"))?,
            _ => return Err(format!("unknown flag {flag}")),
        }
    }
    let Some(bin) = bin else { return Ok(None) };
    if paths.is_empty() {
        paths.push("/__health".to_owned());
    }
    Ok(Some(Args {
        bin,
        port,
        paths,
        runs: runs.max(1),
        timeout: Duration::from_millis(timeout_ms),
    }))
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(a)) => a,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(e) => {
            eprintln!("startup: {e}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, args.port));
    if get_status(addr, "/__health").is_some() {
        eprintln!("startup: something already answers on {addr}; stop it first");
        return ExitCode::FAILURE;
    }

    let mut version = Vec::new();
    let mut failures = 0;
    for _ in 0..args.runs {
        match time_version(&args.bin) {
            Some(d) => version.push(d),
            None => failures += 1,
        }
    }
    report("--version", &mut version, failures);

    let mut failed = false;
    for path in &args.paths {
        let mut times = Vec::new();
        let mut failures = 0;
        for _ in 0..args.runs {
            match time_first_200(&args, addr, path) {
                Ok(d) => times.push(d),
                Err(e) => {
                    eprintln!("startup: {path}: {e}");
                    failures += 1;
                }
            }
        }
        failed |= failures > 0;
        report(path, &mut times, failures);
    }
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn report(what: &str, times: &mut [Duration], failures: usize) {
    times.sort_unstable();
    let at = |q: f64| -> u128 {
        if times.is_empty() {
            return 0;
        }
        // Nearest rank.
        let rank = ((q * times.len() as f64).ceil() as usize).clamp(1, times.len());
        times[rank - 1].as_micros()
    };
    println!(
        "startup what={what} runs={} median_us={} min_us={} p90_us={} max_us={} failures={failures}",
        times.len(),
        at(0.5),
        at(0.0),
        at(0.9),
        at(1.0)
    );
}

/// Spawn to exit of `BIN --version`.
fn time_version(bin: &str) -> Option<Duration> {
    let start = Instant::now();
    let status = Command::new(bin)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .ok()?;
    let elapsed = start.elapsed();
    status.success().then_some(elapsed)
}

/// Spawn of `BIN -p PORT` to the first 200 on `path`; the process is killed afterwards.
fn time_first_200(args: &Args, addr: SocketAddr, path: &str) -> Result<Duration, String> {
    let start = Instant::now();
    let mut child = Command::new(&args.bin)
        .arg("-p")
        .arg(args.port.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", args.bin))?;
    let outcome = loop {
        if get_status(addr, path) == Some(200) {
            break Ok(start.elapsed());
        }
        if start.elapsed() > args.timeout {
            break Err(format!("no 200 within {:?}", args.timeout));
        }
        if let Ok(Some(status)) = child.try_wait() {
            break Err(format!("the gateway exited early: {status}"));
        }
        std::thread::sleep(Duration::from_micros(100));
    };
    let _ = child.kill();
    let _ = child.wait();
    // The next run binds the same port: wait until nothing answers there any more.
    let settle = Instant::now();
    while get_status(addr, "/__health").is_some() && settle.elapsed() < args.timeout {
        std::thread::sleep(Duration::from_millis(1));
    }
    outcome
}

/// The status code of `GET path` on a fresh connection, or `None` if nothing answers.
fn get_status(addr: SocketAddr, path: &str) -> Option<u16> {
    let mut stream = TcpStream::connect_timeout(&addr, Duration::from_millis(500)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    let _ = stream.set_nodelay(true);
    let request = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).ok()?;
    // "HTTP/1.1 200": the status code is bytes 9..12.
    let mut head = [0u8; 12];
    let mut read = 0;
    while read < head.len() {
        match stream.read(&mut head[read..]) {
            Ok(0) | Err(_) => return None,
            Ok(n) => read += n,
        }
    }
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}
