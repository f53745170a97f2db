//! Helpers shared by the test crates that run `dllhound stream` with `--metrics-addr`.

use std::io::{Read, Write};
use std::time::{Duration, Instant};

/// A loopback address nothing listens on (for a member's metrics).
pub fn free_addr() -> String {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    format!("127.0.0.1:{port}")
}

/// The Prometheus text served at `addr`, or "" while nothing listens there yet.
pub fn scrape(addr: &str) -> String {
    let Ok(mut s) = std::net::TcpStream::connect(addr) else {
        return String::new();
    };
    let _ = s.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    text
}

/// Polls `done` every 300 ms; fails the test, saying `what`, if it is not true within `within`.
pub fn wait_until(within: Duration, what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + within;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(300));
    }
}
