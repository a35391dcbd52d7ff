//! Child processes that never outlive the test that started them.
//!
//! A [`Supervised`] process runs under a tiny `sh` watchdog that holds the read
//! end of a pipe from the test. When the pipe closes (the harness drops it, the
//! test panics, or the whole test binary is killed, even with SIGKILL) the
//! watchdog SIGKILLs the process, so no broker or server is left behind holding
//! a port. Writing a signal name to the pipe delivers that signal instead, which
//! is how a graceful stop (SIGTERM) works without `unsafe` or `libc`.

use std::ffi::OsString;
use std::fs::OpenOptions;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

/// Runs `"$@"` with stdin from /dev/null; SIGKILLs it when our stdin closes, and
/// sends it each signal name written to our stdin, one per line. Exits with the
/// process's exit status (128 + signal number when killed by a signal).
const WATCHDOG: &str = r#"
exec 3<&0
"$@" 3<&- </dev/null &
child=$!
{
    while read -r signal <&3; do kill -s "$signal" "$child" 2>/dev/null; done
    kill -s KILL "$child" 2>/dev/null
} </dev/null &
watcher=$!
wait "$child"
status=$?
kill "$watcher" 2>/dev/null
exit "$status"
"#;

/// How long [`Supervised::kill`] waits for the process to be reaped.
const KILL_WAIT: Duration = Duration::from_secs(10);

/// Lines of the log shown when something goes wrong.
pub const LOG_TAIL_LINES: usize = 40;

/// A child process with its stdout and stderr appended to a log file, killed
/// when dropped.
pub struct Supervised {
    name: String,
    watchdog: Child,
    /// The watchdog's stdin; closing it kills the process.
    control: Option<ChildStdin>,
    log: PathBuf,
    status: Option<ExitStatus>,
}

impl Supervised {
    /// Starts `command` (its program, arguments, environment changes and working
    /// directory; not its stdio) with output appended to `log`.
    pub fn spawn(name: &str, command: &Command, log: &Path) -> io::Result<Supervised> {
        let log_file = OpenOptions::new().create(true).append(true).open(log)?;
        let mut watchdog = Command::new("sh");
        watchdog
            .arg("-c")
            .arg(WATCHDOG)
            .arg("sh")
            .arg(command.get_program())
            .args(command.get_args())
            .stdin(Stdio::piped())
            .stdout(log_file.try_clone()?)
            .stderr(log_file);
        for (key, value) in command.get_envs() {
            match value {
                Some(value) => watchdog.env(key, value),
                None => watchdog.env_remove(key),
            };
        }
        if let Some(dir) = command.get_current_dir() {
            watchdog.current_dir(dir);
        }
        let mut watchdog = watchdog
            .spawn()
            .map_err(|err| io::Error::new(err.kind(), format!("cannot start {}: {err}", describe(command))))?;
        let control = watchdog.stdin.take();
        Ok(Supervised { name: name.to_owned(), watchdog, control, log: log.to_owned(), status: None })
    }

    /// The exit status once the process has ended, without waiting.
    pub fn try_status(&mut self) -> Option<ExitStatus> {
        if self.status.is_none() {
            self.status = self.watchdog.try_wait().ok().flatten();
        }
        self.status
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        self.try_status().is_none()
    }

    /// Kills the process with SIGKILL and waits until it is gone.
    pub fn kill(&mut self) -> ExitStatus {
        self.control = None;
        match self.wait_timeout(KILL_WAIT) {
            Some(status) => status,
            None => {
                // The watchdog itself is stuck; kill it (and so lose its child).
                let _ = self.watchdog.kill();
                let status = self.watchdog.wait().expect("wait for the watchdog shell");
                self.status = Some(status);
                status
            }
        }
    }

    /// Sends the signal `name` (as `kill -s` spells it: `STOP`, `CONT`, `TERM`) to
    /// the process, through the watchdog. Returns at once.
    pub fn signal(&mut self, name: &str) {
        let control = self.control.as_mut().unwrap_or_else(|| panic!("{} is being killed", self.name));
        control
            .write_all(format!("{name}\n").as_bytes())
            .and_then(|()| control.flush())
            .unwrap_or_else(|err| panic!("send SIG{name} to {}: {err}", self.name));
    }

    /// Sends SIGTERM and waits up to `grace` for the process to exit, then kills it.
    pub fn stop(&mut self, grace: Duration) -> ExitStatus {
        if let Some(control) = self.control.as_mut() {
            let _ = control.write_all(b"TERM\n").and_then(|()| control.flush());
        }
        match self.wait_timeout(grace) {
            Some(status) => status,
            None => {
                eprintln!("{} ignored SIGTERM for {grace:?}; killing it", self.name);
                self.kill()
            }
        }
    }

    /// Waits up to `timeout` for the process to exit.
    pub fn wait_timeout(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(status) = self.try_status() {
                return Some(status);
            }
            if Instant::now() >= deadline {
                return None;
            }
            thread::sleep(Duration::from_millis(10));
        }
    }

    /// The log file the process writes to.
    pub fn log_path(&self) -> &Path {
        &self.log
    }

    /// The last `lines` lines of the log, for failure messages.
    pub fn log_tail(&self, lines: usize) -> String {
        log_tail(&self.log, lines)
    }
}

impl Drop for Supervised {
    fn drop(&mut self) {
        if self.is_running() {
            self.kill();
        }
        if thread::panicking() {
            eprintln!(
                "--- last {LOG_TAIL_LINES} lines of the {} log ({}) ---\n{}",
                self.name,
                self.log.display(),
                self.log_tail(LOG_TAIL_LINES)
            );
        }
    }
}

/// The last `lines` lines of a log file, without terminal color codes.
pub fn log_tail(log: &Path, lines: usize) -> String {
    let text = match std::fs::read(log) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(err) => return format!("(cannot read {}: {err})", log.display()),
    };
    let all: Vec<&str> = text.lines().collect();
    let tail = all[all.len().saturating_sub(lines)..].join("\n");
    strip_ansi(&tail)
}

/// Removes ANSI escape sequences (tansu colors its log even into a file).
fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            // CSI: ESC [ parameters final-byte (0x40..=0x7e)
            if chars.next() == Some('[') {
                for c in chars.by_ref() {
                    if ('\u{40}'..='\u{7e}').contains(&c) {
                        break;
                    }
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A loopback port that was free a moment ago. Another process may take it
/// before ours binds it, so callers retry on "address in use".
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free loopback port")
        .port()
}

/// Whether a log says the listener could not bind its port.
pub fn log_says_address_in_use(log: &Path) -> bool {
    let text = log_tail(log, 200).to_lowercase();
    text.contains("addrinuse") || text.contains("address in use") || text.contains("address already in use")
}

/// A command line for messages.
pub fn describe(command: &Command) -> String {
    let mut parts: Vec<OsString> = vec![command.get_program().to_owned()];
    parts.extend(command.get_args().map(ToOwned::to_owned));
    parts.iter().map(|part| part.to_string_lossy().into_owned()).collect::<Vec<_>>().join(" ")
}
