//! Configuration: every setting comes from a flag or its `PORTICO_*` environment variable, has a
//! safe default, and is parsed once at start-up. A wrong value stops the program with one line
//! naming the setting, what was wrong, and an example of a right value.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use clap::Args;

/// Settings as given on the command line or in the environment, before they are checked.
#[derive(Args, Debug, Clone, Default)]
pub struct RawConfig {
    /// Database URL: `sqlite://path/to/file.db` or `postgres://user:pass@host/db`.
    /// Default: a SQLite file in the data folder.
    #[arg(long, env = "PORTICO_DATABASE_URL", global = true)]
    pub database_url: Option<String>,

    /// Folder for the SQLite database and stored files.
    #[arg(long, env = "PORTICO_DATA_DIR", global = true)]
    pub data_dir: Option<String>,

    /// Address the web server listens on.
    #[arg(long, env = "PORTICO_LISTEN", global = true)]
    pub listen: Option<String>,

    /// Public URL users reach the portal at, used in links and mails.
    /// Default: `http://` + the listen address.
    #[arg(long, env = "PORTICO_BASE_URL", global = true)]
    pub base_url: Option<String>,

    /// SMTP server for outgoing mail: `smtp://user:pass@host:587` (STARTTLS) or
    /// `smtps://user:pass@host:465` (TLS). Unset: mail is kept in the outbox for admins.
    #[arg(long, env = "PORTICO_SMTP_URL", global = true)]
    pub smtp_url: Option<String>,

    /// Sender address of outgoing mail.
    #[arg(long, env = "PORTICO_SMTP_FROM", global = true)]
    pub smtp_from: Option<String>,

    /// API requests each token may make per minute (per `serve` process), before it is answered
    /// 429 with `Retry-After`. Default: 600.
    #[arg(long, env = "PORTICO_API_RATE_LIMIT", global = true)]
    pub api_rate_limit: Option<String>,

    /// Where uploaded files are kept: a folder, or `s3://bucket/optional/prefix` on Amazon S3 or
    /// an S3-compatible server. Default: `files` in the data folder.
    #[arg(long, env = "PORTICO_FILES", global = true)]
    pub files: Option<String>,

    /// The largest file accepted, in megabytes. Default: 25.
    #[arg(long, env = "PORTICO_MAX_UPLOAD_MB", global = true)]
    pub max_upload_mb: Option<String>,

    /// S3-compatible server to use instead of Amazon's, e.g. `http://127.0.0.1:9000`.
    /// Default: `AWS_ENDPOINT`, else Amazon S3.
    #[arg(long, env = "PORTICO_S3_ENDPOINT", global = true)]
    pub s3_endpoint: Option<String>,

    /// S3 region. Default: `AWS_REGION`, else us-east-1.
    #[arg(long, env = "PORTICO_S3_REGION", global = true)]
    pub s3_region: Option<String>,

    /// S3 access key. Default: `AWS_ACCESS_KEY_ID` (and the other standard AWS sources).
    #[arg(long, env = "PORTICO_S3_ACCESS_KEY_ID", global = true)]
    pub s3_access_key_id: Option<String>,

    /// S3 secret key, with `PORTICO_S3_ACCESS_KEY_ID`.
    #[arg(
        long,
        env = "PORTICO_S3_SECRET_ACCESS_KEY",
        global = true,
        hide_env_values = true
    )]
    pub s3_secret_access_key: Option<String>,
}

pub const DEFAULT_DATA_DIR: &str = "portico-data";
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8080";
pub const DEFAULT_API_RATE_LIMIT: u32 = 600;
pub const DEFAULT_MAX_UPLOAD_MB: usize = 25;

/// Checked configuration.
#[derive(Debug, Clone)]
pub struct Config {
    pub database: DatabaseUrl,
    pub data_dir: PathBuf,
    pub listen: SocketAddr,
    pub base_url: String,
    pub smtp: Option<SmtpSettings>,
    /// API requests per token per minute.
    pub api_rate_limit: u32,
    pub files: FilesLocation,
    pub max_upload_bytes: usize,
}

/// Where uploaded files are kept.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilesLocation {
    Folder(PathBuf),
    S3(S3Settings),
}

/// An S3 bucket; what is not set here comes from the standard `AWS_*` variables.
#[derive(Clone, PartialEq, Eq)]
pub struct S3Settings {
    pub bucket: String,
    /// Folder inside the bucket, without slashes at either end; may be empty.
    pub prefix: String,
    pub endpoint: Option<String>,
    pub region: Option<String>,
    /// Access key and secret.
    pub credentials: Option<(String, String)>,
}

/// Never print the secret key.
impl fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3Settings")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field(
                "access_key_id",
                &self.credentials.as_ref().map(|(id, _)| id),
            )
            .finish()
    }
}

/// Which database, and how to reach it.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn as_str(&self) -> &str {
        match self {
            DatabaseUrl::Sqlite(url) | DatabaseUrl::Postgres(url) => url,
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "SQLite",
            DatabaseUrl::Postgres(_) => "PostgreSQL",
        }
    }

    /// A SQLite URL for a file, creating it when missing.
    pub fn sqlite_file(path: &Path) -> Self {
        DatabaseUrl::Sqlite(format!("sqlite://{}", path.display()))
    }

    fn parse(value: &str) -> Result<Self, String> {
        if value.starts_with("sqlite:") {
            Ok(DatabaseUrl::Sqlite(value.to_owned()))
        } else if value.starts_with("postgres://") || value.starts_with("postgresql://") {
            Ok(DatabaseUrl::Postgres(value.to_owned()))
        } else {
            Err("is neither a sqlite: nor a postgres:// URL".into())
        }
    }
}

impl Config {
    /// Served over https: cookies get `Secure`, responses HSTS.
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// Never print a database password in logs or errors.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_password(self.as_str()))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&redact_password(self.as_str()))
    }
}

fn redact_password(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rsplit_once('@') {
        Some((credentials, host)) => {
            let user = credentials.split(':').next().unwrap_or_default();
            format!("{scheme}://{user}:***@{host}{}", &rest[authority_end..])
        }
        None => url.to_owned(),
    }
}

/// Outgoing mail server.
#[derive(Clone)]
pub struct SmtpSettings {
    pub url: String,
    pub from: String,
    /// `host:port`, for logs.
    pub server: String,
}

impl fmt::Debug for SmtpSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpSettings")
            .field("server", &self.server)
            .field("from", &self.from)
            .finish()
    }
}

/// A setting that could not be used: which one, what was wrong, what would be right.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("{setting} {problem}; for example {example}")]
pub struct ConfigError {
    pub setting: &'static str,
    pub problem: String,
    pub example: &'static str,
}

impl ConfigError {
    fn new(setting: &'static str, problem: impl Into<String>, example: &'static str) -> Self {
        ConfigError {
            setting,
            problem: problem.into(),
            example,
        }
    }
}

impl RawConfig {
    /// Checks every setting; `default_database_file` is the SQLite file used when no URL is set.
    pub fn check(&self, default_database_file: &str) -> Result<Config, ConfigError> {
        let data_dir = PathBuf::from(
            self.data_dir
                .as_deref()
                .map(str::trim)
                .unwrap_or(DEFAULT_DATA_DIR),
        );
        if data_dir.as_os_str().is_empty() {
            return Err(ConfigError::new(
                "PORTICO_DATA_DIR (--data-dir)",
                "is empty",
                "PORTICO_DATA_DIR=/var/lib/portico",
            ));
        }

        let database = match self.database_url.as_deref().map(str::trim) {
            None | Some("") => DatabaseUrl::sqlite_file(&data_dir.join(default_database_file)),
            Some(value) => DatabaseUrl::parse(value).map_err(|problem| {
                ConfigError::new(
                    "PORTICO_DATABASE_URL (--database-url)",
                    format!("\"{}\" {problem}", redact_password(value)),
                    "sqlite://portico-data/portico.db or postgres://portico:secret@localhost/portico",
                )
            })?,
        };

        let listen_text = self.listen.as_deref().unwrap_or(DEFAULT_LISTEN).trim();
        let listen: SocketAddr = listen_text.parse().map_err(|_| {
            ConfigError::new(
                "PORTICO_LISTEN (--listen)",
                format!("\"{listen_text}\" is not an IP address with a port"),
                "127.0.0.1:8080 or 0.0.0.0:80",
            )
        })?;

        let base_url = match self.base_url.as_deref().map(str::trim) {
            None | Some("") => format!("http://{listen}"),
            Some(value) => parse_base_url(value)?,
        };

        let smtp = match self.smtp_url.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(url) => Some(parse_smtp(url, self.smtp_from.as_deref())?),
        };

        let api_rate_limit = match self.api_rate_limit.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_API_RATE_LIMIT,
            Some(value) => value
                .parse::<u32>()
                .ok()
                .filter(|n| *n > 0)
                .ok_or_else(|| {
                    ConfigError::new(
                        "PORTICO_API_RATE_LIMIT (--api-rate-limit)",
                        format!("\"{value}\" is not a whole number of requests above zero"),
                        "PORTICO_API_RATE_LIMIT=600",
                    )
                })?,
        };

        let files = self.files_location(&data_dir)?;
        let max_upload_bytes = match self.max_upload_mb.as_deref().map(str::trim) {
            None | Some("") => DEFAULT_MAX_UPLOAD_MB,
            Some(value) => value
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=4096).contains(n))
                .ok_or_else(|| {
                    ConfigError::new(
                        "PORTICO_MAX_UPLOAD_MB (--max-upload-mb)",
                        format!("\"{value}\" is not a whole number of megabytes from 1 to 4096"),
                        "PORTICO_MAX_UPLOAD_MB=100",
                    )
                })?,
        } * 1024
            * 1024;

        Ok(Config {
            database,
            data_dir,
            listen,
            base_url,
            smtp,
            api_rate_limit,
            files,
            max_upload_bytes,
        })
    }

    fn files_location(&self, data_dir: &Path) -> Result<FilesLocation, ConfigError> {
        let given = |value: &Option<String>| {
            value
                .as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_owned)
        };
        let Some(value) = given(&self.files) else {
            return Ok(FilesLocation::Folder(data_dir.join("files")));
        };
        let Some(rest) = value.strip_prefix("s3://") else {
            return Ok(FilesLocation::Folder(PathBuf::from(value)));
        };
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        let bucket_is_valid = (3..=63).contains(&bucket.len())
            && bucket
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.');
        if !bucket_is_valid {
            return Err(ConfigError::new(
                "PORTICO_FILES (--files)",
                format!(
                    "\"{value}\" does not name an S3 bucket (3 to 63 lower-case letters, digits, dots or hyphens)"
                ),
                "s3://northwind-portico/files or /var/lib/portico/files",
            ));
        }
        let credentials = match (
            given(&self.s3_access_key_id),
            given(&self.s3_secret_access_key),
        ) {
            (Some(id), Some(secret)) => Some((id, secret)),
            (None, None) => None,
            _ => {
                return Err(ConfigError::new(
                    "PORTICO_S3_ACCESS_KEY_ID and PORTICO_S3_SECRET_ACCESS_KEY",
                    "must be set together",
                    "PORTICO_S3_ACCESS_KEY_ID=AKIA… with PORTICO_S3_SECRET_ACCESS_KEY=…",
                ));
            }
        };
        let endpoint = given(&self.s3_endpoint);
        if let Some(endpoint) = &endpoint
            && !(endpoint.starts_with("https://") || endpoint.starts_with("http://"))
        {
            return Err(ConfigError::new(
                "PORTICO_S3_ENDPOINT (--s3-endpoint)",
                format!("\"{endpoint}\" must start with http:// or https://"),
                "https://s3.eu-central-1.example.net or http://127.0.0.1:9000",
            ));
        }
        Ok(FilesLocation::S3(S3Settings {
            bucket: bucket.to_owned(),
            prefix: prefix.trim_matches('/').to_owned(),
            endpoint,
            region: given(&self.s3_region),
            credentials,
        }))
    }
}

fn parse_base_url(value: &str) -> Result<String, ConfigError> {
    let error = |problem: &str| {
        ConfigError::new(
            "PORTICO_BASE_URL (--base-url)",
            format!("\"{value}\" {problem}"),
            "https://partners.example.com",
        )
    };
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"))
        .ok_or_else(|| error("must start with http:// or https://"))?;
    let host = rest.split('/').next().unwrap_or_default();
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(error("has no host name"));
    }
    if value.contains(['?', '#']) {
        return Err(error("must not contain a query or fragment"));
    }
    Ok(value.trim_end_matches('/').to_owned())
}

fn parse_smtp(url: &str, from: Option<&str>) -> Result<SmtpSettings, ConfigError> {
    const SETTING: &str = "PORTICO_SMTP_URL (--smtp-url)";
    const EXAMPLE: &str = "smtp://mailer:secret@mail.example.com:587";
    let shown = redact_password(url);
    let rest = url
        .strip_prefix("smtps://")
        .or_else(|| url.strip_prefix("smtp://"))
        .ok_or_else(|| {
            ConfigError::new(
                SETTING,
                format!("\"{shown}\" must start with smtp:// or smtps://"),
                EXAMPLE,
            )
        })?;
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let server = authority.rsplit('@').next().unwrap_or_default();
    let (host, port) = server.rsplit_once(':').unwrap_or((server, "25"));
    if host.is_empty() || port.parse::<u16>().is_err() {
        return Err(ConfigError::new(
            SETTING,
            format!("\"{shown}\" needs a host and an optional numeric port"),
            EXAMPLE,
        ));
    }
    let from = from.map(str::trim).unwrap_or_default();
    // "Display Name <address>" or a bare address.
    let address = match from.rsplit_once('<') {
        Some((_, bracketed)) => bracketed.strip_suffix('>').unwrap_or(""),
        None => from,
    };
    let at = address.find('@');
    if !matches!(at, Some(i) if i > 0 && i + 1 < address.len())
        || address.contains(char::is_whitespace)
    {
        return Err(ConfigError::new(
            "PORTICO_SMTP_FROM (--smtp-from)",
            format!("\"{from}\" is not an e-mail address (required when PORTICO_SMTP_URL is set)"),
            "\"Northwind Partners <partners@example.com>\" or partners@example.com",
        ));
    }
    Ok(SmtpSettings {
        url: url.to_owned(),
        from: from.to_owned(),
        server: format!("{host}:{port}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(raw: RawConfig) -> Result<Config, ConfigError> {
        raw.check("portico.db")
    }

    #[test]
    fn defaults_are_local_and_safe() {
        let config = check(RawConfig::default()).unwrap();
        assert_eq!(config.listen.to_string(), "127.0.0.1:8080");
        assert_eq!(config.data_dir, PathBuf::from("portico-data"));
        assert_eq!(
            config.database,
            DatabaseUrl::Sqlite("sqlite://portico-data/portico.db".into())
        );
        assert_eq!(config.base_url, "http://127.0.0.1:8080");
        assert!(config.smtp.is_none());
        assert_eq!(
            config.files,
            FilesLocation::Folder(PathBuf::from("portico-data/files"))
        );
        assert_eq!(config.max_upload_bytes, 25 * 1024 * 1024);
    }

    #[test]
    fn files_go_to_a_folder_or_an_s3_bucket() {
        let config = check(RawConfig {
            files: Some("s3://northwind-portico/portal/files/".into()),
            s3_endpoint: Some("http://127.0.0.1:9000".into()),
            max_upload_mb: Some("100".into()),
            ..RawConfig::default()
        })
        .unwrap();
        let FilesLocation::S3(s3) = &config.files else {
            panic!("expected S3, got {:?}", config.files);
        };
        assert_eq!(
            (s3.bucket.as_str(), s3.prefix.as_str()),
            ("northwind-portico", "portal/files")
        );
        assert_eq!(config.max_upload_bytes, 100 * 1024 * 1024);
        let refused = |raw: RawConfig| check(raw).unwrap_err().setting;
        assert_eq!(
            refused(RawConfig {
                files: Some("s3://Bad_Bucket".into()),
                ..RawConfig::default()
            }),
            "PORTICO_FILES (--files)"
        );
        assert_eq!(
            refused(RawConfig {
                files: Some("s3://bucket".into()),
                s3_access_key_id: Some("AKIA".into()),
                ..RawConfig::default()
            }),
            "PORTICO_S3_ACCESS_KEY_ID and PORTICO_S3_SECRET_ACCESS_KEY"
        );
        assert_eq!(
            refused(RawConfig {
                max_upload_mb: Some("0".into()),
                ..RawConfig::default()
            }),
            "PORTICO_MAX_UPLOAD_MB (--max-upload-mb)"
        );
        let secret = RawConfig {
            files: Some("s3://bucket".into()),
            s3_access_key_id: Some("AKIA".into()),
            s3_secret_access_key: Some("very-secret".into()),
            ..RawConfig::default()
        };
        assert!(!format!("{:?}", check(secret).unwrap()).contains("very-secret"));
    }

    #[test]
    fn wrong_listen_address_names_setting_and_example() {
        let error = check(RawConfig {
            listen: Some("localhost".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(
            error.to_string(),
            "PORTICO_LISTEN (--listen) \"localhost\" is not an IP address with a port; \
             for example 127.0.0.1:8080 or 0.0.0.0:80"
        );
    }

    #[test]
    fn database_url_must_be_sqlite_or_postgres_and_hides_password() {
        let error = check(RawConfig {
            database_url: Some("mysql://root:hunter2@db/portico".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(error.setting, "PORTICO_DATABASE_URL (--database-url)");
        assert!(!error.to_string().contains("hunter2"), "{error}");
        let config = check(RawConfig {
            database_url: Some("postgres://portico:hunter2@db:5432/portico".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(
            config.database.to_string(),
            "postgres://portico:***@db:5432/portico"
        );
    }

    #[test]
    fn base_url_is_checked_and_normalised() {
        let config = check(RawConfig {
            base_url: Some("https://partners.example.com/".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(config.base_url, "https://partners.example.com");
        for wrong in ["partners.example.com", "https://", "https://x.com/?a=1"] {
            let error = check(RawConfig {
                base_url: Some(wrong.into()),
                ..Default::default()
            })
            .unwrap_err();
            assert_eq!(error.setting, "PORTICO_BASE_URL (--base-url)", "{wrong}");
        }
    }

    #[test]
    fn smtp_needs_host_and_sender() {
        let ok = check(RawConfig {
            smtp_url: Some("smtp://mailer:pw@mail.example.com:587".into()),
            smtp_from: Some("Northwind Partners <partners@example.com>".into()),
            ..Default::default()
        })
        .unwrap();
        assert_eq!(ok.smtp.unwrap().server, "mail.example.com:587");

        let no_from = check(RawConfig {
            smtp_url: Some("smtp://mail.example.com".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(no_from.setting, "PORTICO_SMTP_FROM (--smtp-from)");

        let bad_port = check(RawConfig {
            smtp_url: Some("smtp://mail.example.com:abc".into()),
            smtp_from: Some("a@b.c".into()),
            ..Default::default()
        })
        .unwrap_err();
        assert_eq!(bad_port.setting, "PORTICO_SMTP_URL (--smtp-url)");
    }
}
