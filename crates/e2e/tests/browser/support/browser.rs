//! chromedriver and headless Chromium, stopped on every path.
//!
//! [`Chromedriver::start`] runs chromedriver on a free port in a process group of its own; each
//! [`Browser`] is a WebDriver session with a fresh profile directory whose path carries the driver's
//! unique prefix. Dropping the [`Chromedriver`] (also while a failing test unwinds) kills the driver's
//! process group and every process whose command line names one of its profiles (Chromium re-parented
//! to PID 1 included), then removes the profiles. Waits have deadlines; a failed wait saves a screenshot
//! before it panics. Screenshots go to `target/tmp/e2e-screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};

use super::db::free_port;

/// How long a wait for the page may take.
pub const WAIT: Duration = Duration::from_secs(20);

/// The launch flags (TOOLCHAIN.md "Real browser tests"): headless, as root, and quiet on a closed network.
const CHROMIUM_FLAGS: [&str; 11] = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--window-size=1400,900",
    "--lang=en-US",
];

fn find_program(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |name| dir.join(name)))
        .find(|candidate| candidate.is_file())
}

/// Where the screenshots go.
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("e2e-screenshots")
}

/// A running chromedriver (and, through it, the browsers of one test).
pub struct Chromedriver {
    child: Child,
    port: u16,
    chromium: PathBuf,
    prefix: String,
    sessions: AtomicU64,
}

impl Chromedriver {
    /// Starts chromedriver; panics with the fix when Chromium or chromedriver is missing.
    pub fn start() -> Chromedriver {
        // fantoccini's TLS stack and the backend's bring two rustls providers: pick one for the process.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let hint = "run `bash scripts/setup.sh` (it installs the Debian packages chromium and chromium-driver)";
        let driver = find_program(&["chromedriver"])
            .unwrap_or_else(|| panic!("chromedriver is not installed: {hint}"));
        let chromium = std::env::var_os("CHROMIUM")
            .map(PathBuf::from)
            .or_else(|| find_program(&["chromium", "chromium-browser", "google-chrome"]))
            .unwrap_or_else(|| panic!("Chromium is not installed: {hint}"));
        let port = free_port();
        let log = std::env::temp_dir().join(format!("compass-e2e-chromedriver-{port}.log"));
        let log_file =
            std::fs::File::create(&log).unwrap_or_else(|e| panic!("cannot create {log:?}: {e}"));
        let child = {
            use std::os::unix::process::CommandExt as _;
            Command::new(&driver)
                .arg(format!("--port={port}"))
                .stdin(Stdio::null())
                .stdout(Stdio::from(
                    log_file
                        .try_clone()
                        .unwrap_or_else(|e| panic!("cannot clone a log handle: {e}")),
                ))
                .stderr(Stdio::from(log_file))
                .process_group(0)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot start {}: {e}", driver.display()))
        };
        let mut this = Chromedriver {
            child,
            port,
            chromium,
            prefix: format!("compass-e2e-{}-{port}-", std::process::id()),
            sessions: AtomicU64::new(0),
        };
        let deadline = Instant::now() + WAIT;
        let addr = std::net::SocketAddr::from(([127, 0, 0, 1], port));
        while std::net::TcpStream::connect_timeout(&addr, Duration::from_millis(200)).is_err() {
            if let Ok(Some(status)) = this.child.try_wait() {
                panic!("chromedriver exited ({status}) at start; log: {log:?}");
            }
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within {WAIT:?}; log: {log:?}"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        this.port = port;
        this
    }

    /// A new browser session (own profile, so own cookies) named `name` for its screenshots.
    pub async fn browser(&self, name: &str) -> Browser {
        self.browser_with(name, &[]).await
    }

    /// A new browser session with extra Chromium flags (e.g. `--js-flags=--expose-gc`).
    pub async fn browser_with(&self, name: &str, extra_flags: &[&str]) -> Browser {
        let n = self.sessions.fetch_add(1, Ordering::Relaxed);
        let profile = std::env::temp_dir().join(format!("{}{n}", self.prefix));
        let mut args: Vec<String> = CHROMIUM_FLAGS.iter().map(|f| (*f).to_owned()).collect();
        args.extend(extra_flags.iter().map(|f| (*f).to_owned()));
        args.push(format!("--user-data-dir={}", profile.display()));
        let mut capabilities = serde_json::Map::new();
        capabilities.insert(
            "goog:chromeOptions".to_owned(),
            serde_json::json!({ "binary": self.chromium, "args": args }),
        );
        let client = ClientBuilder::rustls()
            .unwrap_or_else(|e| panic!("cannot set up the WebDriver client: {e}"))
            .capabilities(capabilities)
            .connect(&format!("http://127.0.0.1:{}", self.port))
            .await
            .unwrap_or_else(|e| panic!("chromedriver could not start Chromium: {e}"));
        Browser {
            client,
            name: name.to_owned(),
            shots: AtomicU64::new(0),
        }
    }

    /// Kills every process whose command line names one of this driver's profiles.
    fn kill_browsers(&self) {
        let Ok(entries) = std::fs::read_dir("/proc") else {
            return;
        };
        for entry in entries.flatten() {
            let pid = entry.file_name().to_string_lossy().into_owned();
            if !pid.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let Ok(cmdline) = std::fs::read(entry.path().join("cmdline")) else {
                continue;
            };
            if String::from_utf8_lossy(&cmdline).contains(&self.prefix) {
                let _ = Command::new("kill").args(["-KILL", &pid]).status();
            }
        }
    }
}

impl Drop for Chromedriver {
    fn drop(&mut self) {
        // The driver's process group (chromedriver and the browsers it started), then any stray browser.
        let group = format!("-{}", self.child.id());
        let _ = Command::new("kill").args(["-KILL", "--", &group]).status();
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.kill_browsers();
        for n in 0..self.sessions.load(Ordering::Relaxed) {
            let _ =
                std::fs::remove_dir_all(std::env::temp_dir().join(format!("{}{n}", self.prefix)));
        }
    }
}

/// One WebDriver session.
pub struct Browser {
    /// The session (for anything the helpers below do not cover).
    pub client: Client,
    name: String,
    shots: AtomicU64,
}

impl Browser {
    /// Opens `url` and waits for the app to have drawn something.
    pub async fn goto(&self, url: &str) {
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {url}: {e}"));
    }

    /// Saves a screenshot as `<test>-<n>-<step>.png` and returns its path.
    pub async fn screenshot(&self, step: &str) -> PathBuf {
        let dir = screenshot_dir();
        let _ = std::fs::create_dir_all(&dir);
        let n = self.shots.fetch_add(1, Ordering::Relaxed);
        let path = dir.join(format!("{}-{n:02}-{step}.png", self.name));
        match self.client.screenshot().await {
            Ok(png) => {
                if let Err(e) = std::fs::write(&path, png) {
                    eprintln!("cannot save {}: {e}", path.display());
                }
            }
            Err(e) => eprintln!("no screenshot for {step}: {e}"),
        }
        path
    }

    /// Waits for an element; on timeout saves a screenshot and panics naming `what`.
    pub async fn wait_for(&self, locator: Locator<'_>, what: &str) -> Element {
        match self.client.wait().at_most(WAIT).for_element(locator).await {
            Ok(element) => element,
            Err(e) => {
                let shot = self.screenshot("failed").await;
                panic!(
                    "{what} did not appear within {WAIT:?} ({e}); screenshot: {}",
                    shot.display()
                );
            }
        }
    }

    /// Waits for a CSS selector.
    pub async fn wait_css(&self, css: &str) -> Element {
        self.wait_for(Locator::Css(css), css).await
    }

    /// Waits until no element matches; on timeout saves a screenshot and panics naming `what`.
    pub async fn wait_gone(&self, locator: Locator<'_>, what: &str) {
        let deadline = Instant::now() + WAIT;
        loop {
            match self.client.find_all(locator).await {
                Ok(found) if found.is_empty() => return,
                _ if Instant::now() > deadline => {
                    let shot = self.screenshot("failed").await;
                    panic!(
                        "{what} was still there after {WAIT:?}; screenshot: {}",
                        shot.display()
                    );
                }
                _ => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Clicks an element.
    pub async fn click(&self, element: &Element, what: &str) {
        element
            .click()
            .await
            .unwrap_or_else(|e| panic!("cannot click {what}: {e}"));
    }

    /// Replaces the text of a focused-able input (select all, then type), as a person would.
    pub async fn replace_text(&self, element: &Element, text: &str) {
        let select_all = format!("{}a{}", char::from(Key::Control), char::from(Key::Null));
        element
            .send_keys(&select_all)
            .await
            .unwrap_or_else(|e| panic!("cannot select the text: {e}"));
        element
            .send_keys(text)
            .await
            .unwrap_or_else(|e| panic!("cannot type {text:?}: {e}"));
    }

    /// Ends the session (the driver's drop guard covers every other path).
    pub async fn close(self) {
        let _ = self.client.close().await;
    }
}

/// XPath of an event button (grid or sidebar) whose accessible name starts with `title`.
pub fn event_button(title: &str) -> String {
    format!("//button[@data-event-id][starts-with(normalize-space(.), '{title}')]")
}
