//! A server that faces a network: plain HTTP beyond loopback is warned about at
//! start-up, and TLS files that cannot be used stop the start with a clear message.
//! (HTTPS itself is proven with the Python SDK trusting a test CA:
//! `compat/python/test_tls.py`.)

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

use crate::process::BIN;

#[test]
fn plain_http_beyond_loopback_is_warned_about() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let mut child = Command::new(BIN)
        .args(["serve", "--listen", "0.0.0.0:0", "--database-url", &db])
        .env("ROSTER_PROJECT_ID", "P2RosterExposureTest00000001")
        .env(
            "ROSTER_MANAGEMENT_KEY",
            "a-key-long-enough-for-a-network-0001",
        )
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let mut seen = Vec::new();
    for line in BufReader::new(stderr).lines() {
        let line = line.unwrap();
        let done = line.contains("listening on");
        seen.push(line);
        if done {
            break;
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let log = seen.join("\n");
    assert!(log.contains("listening on http://0.0.0.0:"), "{log}");
    assert!(
        log.contains("serving plain HTTP") && log.contains("WARN"),
        "{log}"
    );
    assert!(!log.contains("a-key-long-enough"), "the key is not logged");
}

#[test]
fn unusable_tls_files_stop_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let db = format!("sqlite://{}", dir.path().join("x.db").display());
    let junk = dir.path().join("junk.pem");
    std::fs::write(&junk, "not a certificate").unwrap();
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(["serve", "--listen", "127.0.0.1:0", "--database-url", &db])
            .args(args)
            .env_remove("ROSTER_PROJECT_ID")
            .env_remove("ROSTER_MANAGEMENT_KEY")
            .output()
            .unwrap();
        assert!(!out.status.success());
        String::from_utf8_lossy(&out.stderr).to_string()
    };
    let junk = junk.to_str().unwrap();
    assert!(run(&["--tls-cert", junk, "--tls-key", junk]).contains("--tls-cert"));
    assert!(
        run(&["--tls-cert", junk]).contains("--tls-key"),
        "both or neither"
    );
    assert!(run(&["--tls-cert", "/nonexistent.pem", "--tls-key", junk]).contains("cannot read it"));
}
