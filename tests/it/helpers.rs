//! Test harness: fresh databases, a running app, a headless browser.

#![allow(dead_code)] // each test file uses a different part of the harness

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use portico::Portal;
use portico::platform::config::{Config, DatabaseUrl, RawConfig};
use portico::platform::db::Db;
use sea_orm::{ConnectionTrait, Database};
use tempfile::TempDir;
use thirtyfour::prelude::*;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Set in CI: a missing PostgreSQL or Chromium fails the run instead of skipping.
const REQUIRE_ALL: &str = "PORTICO_REQUIRE_ALL_TESTS";
const TEST_DATABASE_URL: &str = "PORTICO_TEST_DATABASE_URL";

fn require_all() -> bool {
    std::env::var(REQUIRE_ALL).is_ok_and(|v| v == "1")
}

/// Skips a test with a printed reason, or fails it where everything is required.
fn skip(reason: &str) {
    assert!(!require_all(), "{REQUIRE_ALL}=1 but {reason}");
    eprintln!("skipped: {reason}");
}

#[derive(Clone, Copy, Debug)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A database that exists for one test only. PostgreSQL ones are dropped when this is.
pub struct TestDb {
    pub url: DatabaseUrl,
    pub dir: TempDir,
    postgres: Option<(String, String)>,
}

impl TestDb {
    /// `None` (with a printed reason) when the backend is not available here.
    pub async fn create(backend: Backend) -> Option<TestDb> {
        let dir = tempfile::tempdir().expect("temporary folder");
        match backend {
            Backend::Sqlite => Some(TestDb {
                url: DatabaseUrl::sqlite_file(&dir.path().join("test.db")),
                dir,
                postgres: None,
            }),
            Backend::Postgres => {
                let Ok(admin_url) = std::env::var(TEST_DATABASE_URL) else {
                    skip(&format!(
                        "{TEST_DATABASE_URL} is not set, PostgreSQL not tested"
                    ));
                    return None;
                };
                let name = format!("portico_test_{}", uuid::Uuid::now_v7().simple());
                let admin = Database::connect(&admin_url)
                    .await
                    .expect("connect to PORTICO_TEST_DATABASE_URL");
                admin
                    .execute_unprepared(&format!("CREATE DATABASE \"{name}\""))
                    .await
                    .expect("create test database");
                admin.close().await.expect("close admin connection");
                Some(TestDb {
                    url: DatabaseUrl::Postgres(with_database_name(&admin_url, &name)),
                    dir,
                    postgres: Some((admin_url, name)),
                })
            }
        }
    }

    /// The file store the app of this database uses.
    pub fn files(&self) -> portico::platform::files::FileStore {
        let config = self.config();
        portico::platform::files::FileStore::open(&config.files, config.max_upload_bytes)
            .expect("files")
    }

    pub fn config(&self) -> Config {
        let mut config = RawConfig {
            data_dir: Some(self.dir.path().display().to_string()),
            listen: Some("127.0.0.1:0".into()),
            ..RawConfig::default()
        }
        .check("unused.db")
        .expect("test configuration");
        config.database = self.url.clone();
        config
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let Some((admin_url, name)) = self.postgres.take() else {
            return;
        };
        // Drop runs inside the test's runtime; the clean-up needs one of its own.
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                let admin = Database::connect(&admin_url).await?;
                admin
                    .execute_unprepared(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"))
                    .await?;
                admin.close().await
            })
        })
        .join();
        if !matches!(dropped, Ok(Ok(()))) {
            eprintln!("warning: test database could not be dropped: {dropped:?}");
        }
    }
}

/// The same server URL with another database name.
fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, format!("?{query}")),
        None => (url, String::new()),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    format!("{server}/{name}{query}")
}

/// The portal running on a random local port over its own fresh database.
/// HTTP clients need a TLS crypto provider: ring, as the portal itself uses (reqwest is built
/// without one of its own).
pub fn use_ring_for_tls() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}

pub struct TestApp {
    pub address: SocketAddr,
    pub client: reqwest::Client,
    /// A connection pool of the test's own, for fixtures and for looking behind the app.
    pub pool: Db,
    pub files: portico::platform::files::FileStore,
    pub db: TestDb,
    /// The demo program's accounts, once `with_demo_program` ran.
    pub demo_logins: Vec<portico::demo::DemoLogin>,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Option<TestApp> {
        TestApp::spawn_with(backend, None, |_| {}).await
    }

    /// The app sending its mail to `smtp`.
    pub async fn spawn_with_smtp(backend: Backend, smtp: &TestSmtp) -> Option<TestApp> {
        TestApp::spawn_with(backend, Some(smtp), |_| {}).await
    }

    /// The app with settings changed by `adjust`.
    pub async fn spawn_configured(
        backend: Backend,
        adjust: impl FnOnce(&mut Config),
    ) -> Option<TestApp> {
        TestApp::spawn_with(backend, None, adjust).await
    }

    async fn spawn_with(
        backend: Backend,
        smtp: Option<&TestSmtp>,
        adjust: impl FnOnce(&mut Config),
    ) -> Option<TestApp> {
        let db = TestDb::create(backend).await?;
        let mut config = db.config();
        adjust(&mut config);
        config.smtp = smtp.map(|server| portico::platform::config::SmtpSettings {
            url: format!("smtp://127.0.0.1:{}", server.port),
            from: "Northwind Partner Network <partners@northwind.example>".into(),
            server: format!("127.0.0.1:{}", server.port),
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let address = listener.local_addr().expect("local address");
        // Links in mail point at the port the app really listens on.
        config.base_url = format!("http://{address}");
        let portal = Portal::open(config).await.expect("open portal");
        let pool = portal.state().db.clone();
        let files = portal.state().files.clone();
        let (stop, stopped) = oneshot::channel::<()>();
        let server = tokio::spawn(portal.serve(listener, async {
            let _ = stopped.await;
        }));
        use_ring_for_tls();
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .expect("http client");
        Some(TestApp {
            address,
            client,
            pool,
            files,
            db,
            demo_logins: Vec::new(),
            stop: Some(stop),
            server: Some(server),
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.address)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .send()
            .await
            .expect("request")
    }

    /// Fills the database with the demo program (organisations, people); the fixture of most
    /// tests. Every demo user's password is `demo::DEMO_PASSWORD`.
    pub async fn with_demo_program(mut self) -> TestApp {
        use sea_orm::TransactionTrait;
        let txn = self.pool.begin().await.expect("begin");
        self.demo_logins = portico::demo::seed_program(&txn, &self.files)
            .await
            .expect("seed demo program");
        txn.commit().await.expect("commit");
        self
    }

    /// A browser-like visitor with its own cookies.
    pub fn visitor(&self) -> Visitor {
        Visitor {
            base: format!("http://{}", self.address),
            jar: std::sync::Arc::new(reqwest::cookie::Jar::default()),
            client: None,
        }
        .build()
    }

    /// A visitor signed in as `email` with the demo password.
    pub async fn signed_in(&self, email: &str) -> Visitor {
        let visitor = self.visitor();
        let response = visitor
            .post_form(
                "/login",
                &[("email", email), ("password", portico::demo::DEMO_PASSWORD)],
            )
            .await;
        assert_eq!(response.status(), 303, "sign-in as {email} failed");
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        if location.starts_with("/login/second-factor") {
            let code = portico::identity::second_factor::current_code(
                portico::demo::DEMO_ADMIN_TOTP_SECRET,
            )
            .expect("demo key is valid base32");
            let response = visitor
                .post_form("/login/second-factor", &[("code", &code)])
                .await;
            assert_eq!(response.status(), 303, "second factor as {email} failed");
        }
        visitor
    }

    /// Sends the shutdown signal, as SIGTERM would, without waiting.
    pub fn begin_shutdown(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }

    /// Sends the shutdown signal and waits for the server to finish.
    pub async fn shut_down(mut self) -> anyhow::Result<()> {
        self.begin_shutdown();
        match self.server.take() {
            Some(server) => server.await?,
            None => Ok(()),
        }
    }
}

/// A message as the SMTP server received it.
#[derive(Clone, Debug)]
pub struct ReceivedMail {
    pub from: String,
    pub to: Vec<String>,
    /// Headers and body, with quoted-printable soft breaks and escapes decoded.
    pub data: String,
}

impl ReceivedMail {
    /// The first link in the message that starts with `prefix`.
    pub fn link(&self, prefix: &str) -> Option<String> {
        let start = self.data.find(prefix)?;
        let rest = &self.data[start..];
        let end = rest
            .find(|c: char| c.is_whitespace() || c == '"' || c == '<')
            .unwrap_or(rest.len());
        Some(rest[..end].to_owned())
    }
}

/// A local SMTP server that accepts every message and keeps it for the test to read.
pub struct TestSmtp {
    pub port: u16,
    received: std::sync::Arc<std::sync::Mutex<Vec<ReceivedMail>>>,
}

impl TestSmtp {
    pub async fn start() -> TestSmtp {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind SMTP");
        let port = listener.local_addr().expect("address").port();
        let received = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let store = received.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve_smtp(stream, store.clone()));
            }
        });
        TestSmtp { port, received }
    }

    /// Waits (up to 10 s) until `count` messages arrived, and returns all of them.
    pub async fn wait_for(&self, count: usize) -> Vec<ReceivedMail> {
        for _ in 0..200 {
            let messages = self.received.lock().unwrap().clone();
            if messages.len() >= count {
                return messages;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "expected {count} mails, got {:?}",
            self.received.lock().unwrap()
        );
    }

    pub fn received(&self) -> Vec<ReceivedMail> {
        self.received.lock().unwrap().clone()
    }
}

async fn serve_smtp(
    stream: tokio::net::TcpStream,
    store: std::sync::Arc<std::sync::Mutex<Vec<ReceivedMail>>>,
) -> std::io::Result<()> {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    writer.write_all(b"220 test.local ESMTP\r\n").await?;
    let (mut from, mut to) = (String::new(), Vec::new());
    while let Some(line) = lines.next_line().await? {
        let upper = line.to_ascii_uppercase();
        let reply: &[u8] = if upper.starts_with("EHLO") {
            b"250-test.local\r\n250 8BITMIME\r\n"
        } else if upper.starts_with("MAIL FROM:") {
            from = line[10..].trim().trim_matches(['<', '>']).to_owned();
            b"250 OK\r\n"
        } else if upper.starts_with("RCPT TO:") {
            to.push(line[8..].trim().trim_matches(['<', '>']).to_owned());
            b"250 OK\r\n"
        } else if upper == "DATA" {
            writer
                .write_all(b"354 End data with <CR><LF>.<CR><LF>\r\n")
                .await?;
            let mut data = String::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                data.push_str(line.strip_prefix('.').unwrap_or(&line));
                data.push('\n');
            }
            store.lock().unwrap().push(ReceivedMail {
                from: std::mem::take(&mut from),
                to: std::mem::take(&mut to),
                data: decode_quoted_printable(&data),
            });
            b"250 OK: queued\r\n"
        } else if upper == "QUIT" {
            writer.write_all(b"221 Bye\r\n").await?;
            return Ok(());
        } else {
            b"250 OK\r\n"
        };
        writer.write_all(reply).await?;
    }
    Ok(())
}

/// Undoes quoted-printable: soft line breaks and `=XX` escapes.
fn decode_quoted_printable(text: &str) -> String {
    let joined = text.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let escaped = (bytes[i] == b'=' && i + 2 < bytes.len())
            .then(|| std::str::from_utf8(&bytes[i + 1..i + 3]).ok())
            .flatten()
            .and_then(|hex| u8::from_str_radix(hex, 16).ok());
        match escaped {
            Some(byte) => {
                out.push(byte);
                i += 3;
            }
            None => {
                out.push(bytes[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One browser's worth of cookies over plain HTTP (no redirects followed).
pub struct Visitor {
    pub base: String,
    jar: std::sync::Arc<reqwest::cookie::Jar>,
    client: Option<reqwest::Client>,
}

impl Visitor {
    fn build(mut self) -> Visitor {
        use_ring_for_tls();
        self.client = Some(
            reqwest::Client::builder()
                .cookie_provider(self.jar.clone())
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .expect("http client"),
        );
        self
    }

    fn client(&self) -> &reqwest::Client {
        self.client.as_ref().expect("built")
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client()
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .expect("request")
    }

    /// The value of one of this visitor's cookies.
    pub fn cookie(&self, name: &str) -> Option<String> {
        use reqwest::cookie::CookieStore;
        let url = self.base.parse().expect("base url");
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .filter_map(|pair| pair.split_once('='))
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.to_owned())
    }

    /// The CSRF token a page would put in its forms (fetched once, like a browser would).
    pub async fn csrf_token(&self) -> String {
        if let Some(token) = self.cookie("portico_csrf") {
            return token;
        }
        self.get("/login").await;
        self.cookie("portico_csrf")
            .expect("CSRF cookie set on first visit")
    }

    /// Posts a form with the CSRF token added, as the page's form would.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut body: Vec<(&str, &str)> = fields.to_vec();
        body.push(("csrf_token", &token));
        self.post_raw(path, &body).await
    }

    /// Uploads a file as the page's upload form does: multipart, the token in the address.
    pub async fn post_file(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        file: (&str, &str, Vec<u8>),
    ) -> reqwest::Response {
        self.post_files(path, fields, vec![file]).await
    }

    /// A multipart form with several files in its `file` field.
    pub async fn post_files(
        &self,
        path: &str,
        fields: &[(&str, &str)],
        files: Vec<(&str, &str, Vec<u8>)>,
    ) -> reqwest::Response {
        let token = self.csrf_token().await;
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in fields {
            form = form.text(name.to_string(), value.to_string());
        }
        for (file_name, content_type, bytes) in files {
            let part = reqwest::multipart::Part::bytes(bytes)
                .file_name(file_name.to_owned())
                .mime_str(content_type)
                .expect("content type");
            form = form.part("file", part);
        }
        self.client()
            .post(format!("{}{path}?csrf_token={token}", self.base))
            .multipart(form)
            .send()
            .await
            .expect("request")
    }

    /// A request of this visitor's, cookies included, to finish and send.
    pub fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.client()
            .request(method, format!("{}{path}", self.base))
    }

    /// Posts exactly these fields, with no token added.
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> reqwest::Response {
        self.client()
            .post(format!("{}{path}", self.base))
            .form(fields)
            .send()
            .await
            .expect("request")
    }
}

/// Declares each test twice: on SQLite, and on PostgreSQL when it is configured.
macro_rules! on_both_databases {
    ($(async fn $name:ident($app:ident) $body:block)+) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;
                use crate::helpers::{Backend, TestApp};

                #[tokio::test]
                async fn sqlite() {
                    let $app = TestApp::spawn(Backend::Sqlite).await.expect("SQLite test app");
                    $body
                }

                #[tokio::test]
                async fn postgres() {
                    let Some($app) = TestApp::spawn(Backend::Postgres).await else { return };
                    $body
                }
            }
        )+
    };
}
pub(crate) use on_both_databases;

/// Headless Chromium driven through chromedriver.
pub struct Browser {
    pub driver: WebDriver,
    chromedriver: Child,
    _profile: TempDir,
}

fn find_program(variable: &str, candidates: &[&str]) -> Option<PathBuf> {
    if let Ok(path) = std::env::var(variable) {
        return Some(PathBuf::from(path));
    }
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|candidate| candidate.exists())
}

impl Browser {
    /// `None` (with a printed reason) when Chromium or chromedriver is not installed.
    pub async fn start() -> Option<Browser> {
        let chromium = find_program(
            "PORTICO_CHROMIUM",
            &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        );
        let chromedriver = find_program("PORTICO_CHROMEDRIVER", &["/usr/bin/chromedriver"]);
        let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
            skip("no Chromium/chromedriver (apt-get install -y chromium chromium-driver)");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let mut command = Command::new(&chromedriver);
        command
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        #[cfg(unix)]
        std::os::unix::process::CommandExt::process_group(&mut command, 0);
        let mut child = command.spawn().expect("start chromedriver");
        let mut ready = false;
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
            {
                ready = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        if !ready {
            let _ = child.kill();
            panic!("chromedriver did not start on port {port}");
        }
        let profile = tempfile::tempdir().expect("browser profile folder");
        let mut caps = DesiredCapabilities::chrome();
        caps.set_binary(&chromium.display().to_string())
            .expect("binary");
        for arg in [
            "--headless=new",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--window-size=1280,900",
            &format!("--user-data-dir={}", profile.path().display()),
        ] {
            caps.add_arg(arg).expect("chrome argument");
        }
        use_ring_for_tls();
        let driver = WebDriver::new(format!("http://127.0.0.1:{port}"), caps)
            .await
            .expect("start a Chromium session");
        Some(Browser {
            driver,
            chromedriver: child,
            _profile: profile,
        })
    }

    pub async fn quit(self) {
        let _ = self.driver.clone().quit().await;
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        // chromedriver leads its own process group, so Chromium goes with it.
        #[cfg(unix)]
        if let Ok(group) = libc::pid_t::try_from(self.chromedriver.id())
            && group > 1
        {
            // SAFETY: killpg only sends a signal; `group` is our child's own process group.
            unsafe {
                libc::killpg(group, libc::SIGTERM);
            }
        }
        let _ = self.chromedriver.kill();
        let _ = self.chromedriver.wait();
    }
}

/// A local S3-compatible server (moto, from PyPI) with one empty bucket, for as long as this
/// lives. `None` when `moto_server` is not installed (which fails the run where every test must
/// run).
pub struct S3Server {
    pub endpoint: String,
    pub bucket: String,
    child: std::process::Child,
}

impl S3Server {
    pub async fn start() -> Option<S3Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("a free port")
            .port();
        let child = match std::process::Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(error) => {
                skip(&format!(
                    "moto_server cannot start ({error}); pip install 'moto[server]'"
                ));
                return None;
            }
        };
        let server = S3Server {
            endpoint: format!("http://127.0.0.1:{port}"),
            bucket: "portico-test".into(),
            child,
        };
        use_ring_for_tls();
        let client = reqwest::Client::new();
        for _ in 0..100 {
            // moto takes unsigned requests: this makes the bucket.
            if let Ok(answer) = client
                .put(format!("{}/{}", server.endpoint, server.bucket))
                .send()
                .await
                && answer.status().is_success()
            {
                return Some(server);
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("moto_server did not start on {}", server.endpoint);
    }

    /// Files in this server's bucket, under `prefix`.
    pub fn location(&self, prefix: &str) -> portico::platform::config::FilesLocation {
        portico::platform::config::FilesLocation::S3(portico::platform::config::S3Settings {
            bucket: self.bucket.clone(),
            prefix: prefix.to_owned(),
            endpoint: Some(self.endpoint.clone()),
            region: Some("eu-central-1".into()),
            credentials: Some(("testing".into(), "testing".into())),
        })
    }

    /// The keys stored in the bucket.
    pub async fn keys(&self) -> Vec<String> {
        let listing = reqwest::Client::new()
            .get(format!("{}/{}?list-type=2", self.endpoint, self.bucket))
            .send()
            .await
            .expect("list the bucket")
            .text()
            .await
            .expect("listing");
        listing
            .split("<Key>")
            .skip(1)
            .filter_map(|rest| rest.split("</Key>").next())
            .map(str::to_owned)
            .collect()
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A partner organisation named `name`: an active German reseller of the given tier, at the
/// top of the tree. Callers set what else matters to them.
pub fn partner_row(name: &str, tier: &str) -> portico::orgs::entity::organization::ActiveModel {
    use sea_orm::ActiveValue::Set;
    portico::orgs::entity::organization::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        parent_id: Set(None),
        kind: Set("partner".into()),
        name: Set(name.to_owned()),
        legal_name: Set(format!("{name} Ltd")),
        partner_type: Set(Some("reseller".into())),
        tier: Set(Some(tier.to_owned())),
        status: Set("active".into()),
        country: Set("DE".into()),
        website: Set(None),
        registration_number: Set(None),
        tax_number: Set(None),
        descendants_visible: Set(false),
        created_at: Set(time::OffsetDateTime::now_utc()),
        address: Set(None),
        billing_address: Set(None),
        markets: Set(None),
        capabilities: Set(None),
    }
}

/// A commission line of `amount_minor` for a partner under a plan, earned on `earned_on`, on no
/// statement yet: an adjustment without an order line, until the caller says otherwise.
pub fn commission_line_row(
    (partner_id, plan_id): (uuid::Uuid, uuid::Uuid),
    currency: &str,
    amount_minor: i64,
    earned_on: time::Date,
) -> portico::commissions::entity::line::ActiveModel {
    use sea_orm::ActiveValue::Set;
    portico::commissions::entity::line::ActiveModel {
        id: Set(uuid::Uuid::now_v7()),
        partner_id: Set(partner_id),
        plan_id: Set(plan_id),
        kind: Set("adjustment".into()),
        order_id: Set(None),
        order_line_id: Set(None),
        rule_version_id: Set(None),
        base_minor: Set(0),
        rate_bp: Set(None),
        amount_minor: Set(amount_minor),
        currency: Set(currency.to_owned()),
        earned_on: Set(earned_on),
        calculated_at: Set(time::OffsetDateTime::now_utc()),
        explanation: Set("test line".into()),
        reason: Set(None),
        author_user_id: Set(None),
        author_label: Set("test".into()),
        statement_id: Set(None),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database_name;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database_name("postgres://u:p@h:5432/test?sslmode=disable", "t1"),
            "postgres://u:p@h:5432/t1?sslmode=disable"
        );
        assert_eq!(with_database_name("postgres://h", "t1"), "postgres://h/t1");
    }
}
