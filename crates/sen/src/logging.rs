//! Log output: one line per event on stdout, text or JSON. Lines are collected in a buffer and written
//! in blocks (at 64 KiB, every half second, at once for warnings and errors, and on exit), as a web
//! server's buffered access log is: a busy node spends its time on requests, not on write calls.

use std::{
    io::{self, IsTerminal, Write},
    sync::{Arc, OnceLock},
    time::Duration,
};

use parking_lot::Mutex;
use tracing_subscriber::fmt::MakeWriter;

const FLUSH_AT: usize = 64 * 1024;

#[derive(Clone, Default)]
pub struct BufferedStdout {
    buffer: Arc<Mutex<Vec<u8>>>,
}

static LOG: OnceLock<BufferedStdout> = OnceLock::new();

impl BufferedStdout {
    fn write_out(buffer: &mut Vec<u8>) {
        if buffer.is_empty() {
            return;
        }
        let mut out = io::stdout().lock();
        let _ = out.write_all(buffer);
        let _ = out.flush();
        buffer.clear();
    }

    pub fn flush(&self) {
        Self::write_out(&mut self.buffer.lock());
    }
}

pub struct LineWriter {
    buffer: Arc<Mutex<Vec<u8>>>,
    urgent: bool,
}

impl Write for LineWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let mut buffer = self.buffer.lock();
        buffer.extend_from_slice(bytes);
        if self.urgent || buffer.len() >= FLUSH_AT {
            BufferedStdout::write_out(&mut buffer);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for BufferedStdout {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter {
            buffer: self.buffer.clone(),
            urgent: false,
        }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> LineWriter {
        LineWriter {
            buffer: self.buffer.clone(),
            urgent: *meta.level() <= tracing::Level::WARN,
        }
    }
}

pub fn init(format: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let writer = LOG.get_or_init(BufferedStdout::default).clone();
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(io::stdout().is_terminal())
        .with_writer(writer);
    match format {
        "json" => builder.json().init(),
        "text" => builder.init(),
        other => anyhow::bail!("--log-format {other:?} is not supported: use text or json"),
    }
    Ok(())
}

/// Writes buffered lines out every half second; call from inside the runtime.
pub fn spawn_flusher() {
    tokio::spawn(async {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            flush();
        }
    });
}

pub fn flush() {
    if let Some(log) = LOG.get() {
        log.flush();
    }
}
