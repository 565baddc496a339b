//! Log output: one line per event on stdout, text or JSON, written by one dedicated thread.
//!
//! A request never waits for output: its line goes into a bounded queue and the writer thread
//! writes lines out in blocks (as they come when it keeps up, at most 64 KiB at a time). When the
//! queue is full — stdout is a slow pipe, or a reader stopped reading — the line is dropped and
//! counted (`sen_log_lines_dropped_total` in `/metrics`) rather than stalling every worker.

use std::{
    io::{self, IsTerminal, Write},
    sync::{
        OnceLock,
        mpsc::{Receiver, RecvTimeoutError, SyncSender, TrySendError, sync_channel},
    },
    time::Duration,
};

use tracing_subscriber::fmt::MakeWriter;

/// Lines waiting for the writer at most.
const QUEUE_LINES: usize = 65_536;
/// A block written at once.
const BLOCK: usize = 64 * 1024;

enum Message {
    Line(Vec<u8>),
    /// Write out everything queued before this, then answer.
    Flush(SyncSender<()>),
}

/// The writing end every event's line goes through.
#[derive(Clone)]
pub struct LogQueue {
    sender: SyncSender<Message>,
}

static LOG: OnceLock<LogQueue> = OnceLock::new();

impl LogQueue {
    /// Starts the writer thread over `sink`.
    pub fn start(sink: Box<dyn Write + Send>, capacity: usize) -> io::Result<Self> {
        let (sender, receiver) = sync_channel(capacity);
        std::thread::Builder::new()
            .name("sen-log".into())
            .spawn(move || write_lines(receiver, sink))?;
        Ok(Self { sender })
    }

    /// Queues a line; drops and counts it when the queue is full.
    fn send(&self, line: Vec<u8>) {
        match self.sender.try_send(Message::Line(line)) {
            Ok(()) | Err(TrySendError::Disconnected(_)) => {}
            Err(TrySendError::Full(_)) => sen_web::count_dropped_log_line(),
        }
    }

    /// Waits (at most `timeout`) until every line queued so far is written.
    pub fn flush(&self, timeout: Duration) {
        let (done, wait) = sync_channel(1);
        if self.sender.send(Message::Flush(done)).is_ok() {
            let _ = wait.recv_timeout(timeout);
        }
    }
}

fn write_out(block: &mut Vec<u8>, sink: &mut Box<dyn Write + Send>) {
    if !block.is_empty() {
        let _ = sink.write_all(block);
        let _ = sink.flush();
        block.clear();
    }
}

fn write_lines(receiver: Receiver<Message>, mut sink: Box<dyn Write + Send>) {
    let mut block: Vec<u8> = Vec::with_capacity(BLOCK);
    loop {
        // Whatever is queued goes out together; a quiet queue means write now.
        let message = if block.is_empty() {
            match receiver.recv() {
                Ok(m) => m,
                Err(_) => break,
            }
        } else {
            match receiver.recv_timeout(Duration::ZERO) {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    write_out(&mut block, &mut sink);
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => break,
            }
        };
        match message {
            Message::Line(line) => {
                block.extend_from_slice(&line);
                if block.len() >= BLOCK {
                    write_out(&mut block, &mut sink);
                }
            }
            Message::Flush(done) => {
                write_out(&mut block, &mut sink);
                let _ = done.send(());
            }
        }
    }
    write_out(&mut block, &mut sink);
}

/// One event's line, handed to the queue when the formatter is done with it.
pub struct LineWriter {
    queue: LogQueue,
    line: Vec<u8>,
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
            self.queue.send(std::mem::take(&mut self.line));
        }
    }
}

impl<'a> MakeWriter<'a> for LogQueue {
    type Writer = LineWriter;

    fn make_writer(&'a self) -> LineWriter {
        LineWriter {
            queue: self.clone(),
            line: Vec::with_capacity(256),
        }
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
    let queue = LogQueue::start(Box::new(io::stdout()), QUEUE_LINES)?;
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
        let queue = LogQueue::start(Box::new(sink.clone()), 1024).expect("start");
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
        let queue = LogQueue::start(Box::new(sink.clone()), 8).expect("start");
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
        assert!(dropped >= 900, "{dropped} lines dropped and counted");
        drop(stalled);
        queue.flush(Duration::from_secs(5));
        assert!(!sink.written.lock().expect("lock").is_empty());
    }
}
