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
    fmt::Write as _,
    io::{self, Write},
    sync::{Arc, OnceLock},
    time::Duration,
};

use parking_lot::{Condvar, Mutex};
use tracing::{
    Event, Level, Subscriber,
    field::{Field, Visit},
};
use tracing_subscriber::{
    fmt::{FmtContext, FormatEvent, FormatFields, MakeWriter, format::Writer},
    registry::LookupSpan,
};

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
                let mut spare = Vec::with_capacity(BLOCK);
                loop {
                    {
                        let mut waiting = writer.waiting.lock();
                        if waiting.len() < BLOCK {
                            writer.wake.wait_for(&mut waiting, TICK);
                        }
                    }
                    spare = write_waiting(&writer, spare);
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

/// Writes what is waiting, putting `spare` in its place; returns the written buffer emptied, as
/// the next spare: two buffers take turns rather than one allocated and freed per block. One that
/// a burst grew is let go, so the memory comes back.
fn write_waiting(shared: &Shared, spare: Vec<u8>) -> Vec<u8> {
    let mut sink = shared.writing.lock();
    let mut block = std::mem::replace(&mut *shared.waiting.lock(), spare);
    write_block(&mut sink, &block);
    if block.capacity() > 4 * BLOCK {
        return Vec::with_capacity(BLOCK);
    }
    block.clear();
    block
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
        .with_ansi(false);
    if !matches!(format, "json" | "text") {
        anyhow::bail!("--log-format {format:?} is not supported: use text or json");
    }
    let queue = LogQueue::start(Box::new(io::stdout()), QUEUE_BYTES)?;
    let writer = LOG.get_or_init(|| queue).clone();
    let builder = builder.with_writer(writer);
    match format {
        "json" => builder.json().init(),
        _ => builder.event_format(TextLine).init(),
    }
    Ok(())
}

/// A text line: the time (UTC, microseconds), the level, the message and the fields, as tracing's
/// own full format writes them without targets and spans, but made in one buffer: every request's
/// line went through several layers of `fmt` there (a twentieth of a cached page's cost).
struct TextLine;

impl<S, N> FormatEvent<S, N> for TextLine
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> std::fmt::Result {
        writer.write_str(&text_line(std::time::SystemTime::now(), event))
    }
}

fn text_line(at: std::time::SystemTime, event: &Event<'_>) -> String {
    let mut line = String::with_capacity(192);
    push_time(&mut line, at);
    line.push_str(match *event.metadata().level() {
        Level::ERROR => " ERROR ",
        Level::WARN => "  WARN ",
        Level::INFO => "  INFO ",
        Level::DEBUG => " DEBUG ",
        Level::TRACE => " TRACE ",
    });
    event.record(&mut Fields { line: &mut line });
    line.push('\n');
    line
}

thread_local! {
    /// The last second written, as text: a second's lines share it.
    static SECOND: std::cell::RefCell<(u64, String)> = const { std::cell::RefCell::new((u64::MAX, String::new())) };
}

/// `2026-12-01T17:20:22.581694Z`.
fn push_time(line: &mut String, at: std::time::SystemTime) {
    let since = at.duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    SECOND.with_borrow_mut(|(second, text)| {
        if *second != secs {
            let t = i64::try_from(secs)
                .ok()
                .and_then(|s| time::OffsetDateTime::from_unix_timestamp(s).ok())
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            text.clear();
            let _ = write!(
                text,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second()
            );
            *second = secs;
        }
        line.push_str(text);
    });
    let _ = write!(line, ".{:06}Z", since.subsec_micros());
}

/// The message, then `name=value` for each field; texts quoted and escaped as `Debug` does, so a
/// line stays one line whatever a client sends.
struct Fields<'a> {
    line: &'a mut String,
}

impl Fields<'_> {
    fn name(&mut self, field: &Field) -> bool {
        let name = field.name();
        if name.starts_with("log.") {
            return false;
        }
        if name != "message" {
            if !self.line.ends_with(' ') {
                self.line.push(' ');
            }
            self.line.push_str(name);
            self.line.push('=');
        }
        true
    }
}

impl Visit for Fields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.name(field) {
            return;
        }
        let plain = value
            .bytes()
            .all(|b| b.is_ascii_graphic() && b != b'"' && b != b'\\');
        if field.name() == "message" {
            self.line.push_str(value);
        } else if plain {
            self.line.push('"');
            self.line.push_str(value);
            self.line.push('"');
        } else {
            let _ = write!(self.line, "{value:?}");
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.name(field) {
            let _ = write!(self.line, "{value}");
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.name(field) {
            let _ = write!(self.line, "{value}");
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.name(field) {
            self.line.push_str(if value { "true" } else { "false" });
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if self.name(field) {
            let _ = write!(self.line, "{value:?}");
        }
    }
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

    /// The lines events make, formatted by `TextLine` at a fixed time.
    fn lines(emit: impl FnOnce()) -> Vec<String> {
        struct Capture(Arc<Mutex<Vec<String>>>);
        impl<S: Subscriber> tracing_subscriber::Layer<S> for Capture {
            fn on_event(&self, event: &Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
                let at = std::time::UNIX_EPOCH + Duration::from_micros(1_764_610_822_581_694);
                self.0.lock().expect("lock").push(text_line(at, event));
            }
        }
        use tracing_subscriber::layer::SubscriberExt;
        let lines = Arc::new(Mutex::new(Vec::new()));
        let subscriber = tracing_subscriber::registry().with(Capture(lines.clone()));
        tracing::subscriber::with_default(subscriber, emit);
        lines.lock().expect("lock").clone()
    }

    #[test]
    fn text_lines_have_the_time_the_level_the_message_and_the_fields() {
        let lines = lines(|| {
            tracing::info!(target: "sen::http", id = %"n1-2a", method = %"GET", path = "/tin/a-1.html", status = 200u16, micros = 87u64, client = %"203.0.113.9");
            tracing::warn!(error = %"timed out", "the database is away");
            tracing::info!(path = "/x y\n\"z\"", ok = true, delta = -3i64);
        });
        assert_eq!(
            lines,
            [
                "2025-12-01T17:40:22.581694Z  INFO id=n1-2a method=GET path=\"/tin/a-1.html\" status=200 micros=87 client=203.0.113.9\n",
                "2025-12-01T17:40:22.581694Z  WARN the database is away error=timed out\n",
                "2025-12-01T17:40:22.581694Z  INFO path=\"/x y\\n\\\"z\\\"\" ok=true delta=-3\n",
            ]
        );
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
