//! Log output: one line per event on stdout, text or JSON, written by one dedicated thread.
//!
//! A request never waits for output: its line is appended to a bounded buffer, and the writer
//! thread takes the buffer whole and writes it out (every 100 ms, as soon as 64 KiB are waiting, or
//! at once for a warning or an error), holding no lock a request needs while it writes. When the
//! buffer is full — stdout is a slow pipe, or a reader stopped reading — the line is dropped and
//! counted (`sen_log_lines_dropped_total` in `/metrics`) rather than stalling every worker. The
//! writer is woken only for a full block or an urgent line, not for every line: a wake-up per line
//! cost more than the lines.

use std::{
    io::{self, IsTerminal, Write},
    sync::{Arc, OnceLock},
    time::Duration,
};

use parking_lot::{Condvar, Mutex};
use tracing_subscriber::fmt::MakeWriter;

/// Bytes of lines waiting for the writer at most.
const QUEUE_BYTES: usize = 8 << 20;
/// The writer is woken when this much is waiting.
const BLOCK: usize = 64 * 1024;
/// And writes what is waiting at least this often.
const TICK: Duration = Duration::from_millis(100);

struct Shared {
    waiting: Mutex<Vec<u8>>,
    wake: Condvar,
    /// Held while a block is written, so blocks go out in the order they were taken.
    writing: Mutex<Box<dyn Write + Send>>,
    capacity: usize,
}

/// The writing end every event's line goes through.
#[derive(Clone)]
pub struct LogQueue {
    shared: Arc<Shared>,
}

static LOG: OnceLock<LogQueue> = OnceLock::new();

impl LogQueue {
    /// Starts the writer thread over `sink`, with room for `capacity` bytes of waiting lines.
    pub fn start(sink: Box<dyn Write + Send>, capacity: usize) -> io::Result<Self> {
        let shared = Arc::new(Shared {
            waiting: Mutex::new(Vec::with_capacity(BLOCK)),
            wake: Condvar::new(),
            writing: Mutex::new(sink),
            capacity,
        });
        let writer = shared.clone();
        std::thread::Builder::new()
            .name("sen-log".into())
            .spawn(move || {
                loop {
                    {
                        let mut waiting = writer.waiting.lock();
                        if waiting.len() < BLOCK {
                            writer.wake.wait_for(&mut waiting, TICK);
                        }
                    }
                    write_waiting(&writer);
                }
            })?;
        Ok(Self { shared })
    }

    /// Appends a line; drops and counts it when the buffer is full.
    fn send(&self, line: &[u8], urgent: bool) {
        let mut waiting = self.shared.waiting.lock();
        if waiting.len() + line.len() > self.shared.capacity {
            drop(waiting);
            sen_web::count_dropped_log_line();
            return;
        }
        waiting.extend_from_slice(line);
        if urgent || waiting.len() >= BLOCK {
            self.shared.wake.notify_one();
        }
    }

    /// Writes out every line appended so far (waiting, at most `timeout`, for a block being
    /// written to finish).
    pub fn flush(&self, timeout: Duration) {
        if let Some(mut sink) = self.shared.writing.try_lock_for(timeout) {
            let block = std::mem::take(&mut *self.shared.waiting.lock());
            write_block(&mut sink, &block);
        }
    }
}

fn write_waiting(shared: &Shared) {
    let mut sink = shared.writing.lock();
    let block = std::mem::replace(&mut *shared.waiting.lock(), Vec::with_capacity(BLOCK));
    write_block(&mut sink, &block);
}

fn write_block(sink: &mut Box<dyn Write + Send>, block: &[u8]) {
    if !block.is_empty() {
        let _ = sink.write_all(block);
        let _ = sink.flush();
    }
}

/// One event's line, handed to the queue when the formatter is done with it.
pub struct LineWriter {
    queue: LogQueue,
    line: Vec<u8>,
    urgent: bool,
}

impl Write for LineWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.line.extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for LineWriter {
    fn drop(&mut self) {
        if !self.line.is_empty() {
            self.queue.send(&self.line, self.urgent);
        }
    }
}

impl<'a> MakeWriter<'a> for LogQueue {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter {
            queue: self.clone(),
            line: Vec::with_capacity(256),
            urgent: false,
        }
    }

    fn make_writer_for(&'a self, meta: &tracing::Metadata<'_>) -> LineWriter {
        let mut writer = self.make_writer();
        writer.urgent = *meta.level() <= tracing::Level::WARN;
        writer
    }
}

pub fn init(format: &str) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("SEN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info,sqlx=warn"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(io::stdout().is_terminal());
    if !matches!(format, "json" | "text") {
        anyhow::bail!("--log-format {format:?} is not supported: use text or json");
    }
    let queue = LogQueue::start(Box::new(io::stdout()), QUEUE_BYTES)?;
    let writer = LOG.get_or_init(|| queue).clone();
    let builder = builder.with_writer(writer);
    match format {
        "json" => builder.json().init(),
        _ => builder.init(),
    }
    Ok(())
}

/// Writes out what is queued; at exit, so the last lines are not lost.
pub fn flush() {
    if let Some(log) = LOG.get() {
        log.flush(Duration::from_secs(2));
    }
}

#[cfg(test)]
mod tests {
    use std::{
        sync::{Arc, Mutex},
        time::Instant,
    };

    use super::*;

    /// A sink that takes lines as they come, or hangs until released.
    #[derive(Clone, Default)]
    struct Sink {
        written: Arc<Mutex<Vec<u8>>>,
        hold: Arc<Mutex<()>>,
    }

    impl Write for Sink {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let _wait = self.hold.lock().map_err(|_| io::Error::other("poisoned"))?;
            self.written
                .lock()
                .map_err(|_| io::Error::other("poisoned"))?
                .extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    fn log(queue: &LogQueue, text: &str) {
        let mut w = queue.make_writer();
        w.write_all(text.as_bytes()).expect("write");
    }

    #[test]
    fn lines_are_written_in_order_and_flushed() {
        let sink = Sink::default();
        let queue = LogQueue::start(Box::new(sink.clone()), 1 << 20).expect("start");
        for i in 0..100 {
            log(&queue, &format!("line {i}\n"));
        }
        queue.flush(Duration::from_secs(5));
        let written = String::from_utf8(sink.written.lock().expect("lock").clone()).expect("text");
        let expected: String = (0..100).map(|i| format!("line {i}\n")).collect();
        assert_eq!(written, expected);
    }

    #[test]
    fn a_stalled_reader_never_blocks_a_request() {
        let sink = Sink::default();
        let stalled = sink.hold.lock().expect("lock");
        let queue = LogQueue::start(Box::new(sink.clone()), 100).expect("start");
        // The writer takes what waits and then hangs on the stalled reader.
        log(&queue, "first\n");
        std::thread::sleep(TICK * 3);
        let before = sen_web::dropped_log_lines();
        let started = Instant::now();
        for i in 0..1_000 {
            log(&queue, &format!("line {i}\n"));
        }
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "logging went on while nothing was read"
        );
        let dropped = sen_web::dropped_log_lines() - before;
        assert!(dropped >= 980, "{dropped} lines dropped and counted");
        drop(stalled);
        queue.flush(Duration::from_secs(5));
        assert!(!sink.written.lock().expect("lock").is_empty());
    }
}
