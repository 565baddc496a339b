//! A real S3-compatible server for tests: moto's server mode on a free loopback port, with a
//! bucket made for the test, stopped when dropped. `scripts/test` installs it
//! (`pip install 'moto[server]'`); a machine without it fails the tests that need it, naming it.

use std::{
    io::{Read, Write},
    net::{TcpListener, TcpStream},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::StorageConfig;

pub struct S3Server {
    child: Child,
    pub endpoint: String,
    port: u16,
}

impl S3Server {
    /// Starts moto on a free port; panics (naming what to install) when it can't.
    pub fn start() -> Self {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let program = std::env::var("SEN_TEST_MOTO").unwrap_or_else(|_| "moto_server".into());
        let child = Command::new(&program)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| {
                panic!("{program} could not start ({e}): pip install 'moto[server]' (scripts/test does)")
            });
        let server = Self {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
            port,
        };
        let started = Instant::now();
        while server.request("GET", "/").is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(30),
                "moto did not start"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        server
    }

    /// One plain HTTP/1.0 request (moto takes unsigned ones); the status line's code.
    fn request(&self, method: &str, path: &str) -> std::io::Result<u16> {
        let mut stream = TcpStream::connect(("127.0.0.1", self.port))?;
        write!(
            stream,
            "{method} {path} HTTP/1.0\r\nHost: 127.0.0.1:{}\r\nContent-Length: 0\r\n\r\n",
            self.port
        )?;
        let mut answer = String::new();
        stream.read_to_string(&mut answer)?;
        answer
            .split_whitespace()
            .nth(1)
            .and_then(|code| code.parse().ok())
            .ok_or_else(|| std::io::Error::other("no status line"))
    }

    /// Makes a bucket; returns the storage settings that use it under `prefix`.
    pub fn bucket(&self, name: &str, prefix: &str) -> StorageConfig {
        let status = self
            .request("PUT", &format!("/{name}"))
            .expect("create bucket");
        assert!((200..300).contains(&status), "bucket {name}: {status}");
        StorageConfig::S3 {
            bucket: name.into(),
            prefix: prefix.into(),
            endpoint: Some(self.endpoint.clone()),
            region: "us-east-1".into(),
            access_key_id: Some("sen-test".into()),
            secret_access_key: Some("sen-test-secret".into()),
        }
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
