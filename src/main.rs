//! The `portico` command: serve the portal, migrate its database, or run the demo.

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};
use portico::platform::config::{Config, RawConfig};
use portico::platform::db;
use portico::{Portal, demo, shutdown_signal};
use tokio::net::TcpListener;
use tracing_subscriber::EnvFilter;

#[derive(Parser)]
#[command(name = "portico", version, about = "Portico, the partner portal")]
struct Cli {
    #[command(flatten)]
    settings: RawConfig,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the web portal until stopped (Ctrl-C or SIGTERM).
    Serve,
    /// Run background jobs only (notifications, digests …), beside one or more `serve`
    /// processes on the same database; `serve` runs a worker of its own too.
    Worker,
    /// Apply database migrations, then exit.
    Migrate,
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Administration tasks.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Commission tools.
    Commissions {
        #[command(subcommand)]
        command: CommissionsCommand,
    },
    /// Create a fresh demo program (in its own SQLite file unless PORTICO_DATABASE_URL is set),
    /// then serve it.
    Demo {
        /// `large` adds 1,984 partners, ~20,000 users and ~1,000,000 orders, for measurements.
        #[arg(long, value_enum, default_value = "small")]
        scale: portico::scale::Scale,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Walk the hash chain and name the first row that was altered or removed.
    Verify,
}

#[derive(Subcommand)]
enum CommissionsCommand {
    /// Accrue every complete settlement period of every plan and prepare its statements,
    /// without a preview (what a scheduled run does); running it again writes only what
    /// changed since.
    Settle {
        /// Re-run periods from the one containing this day (default: from the latest period
        /// that has statements), e.g. after importing a year of history.
        #[arg(long)]
        from: Option<String>,
        /// Settle periods that ended before the one containing this day (default: today).
        #[arg(long)]
        through: Option<String>,
    },
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Invite a vendor administrator and print the invitation link (valid 7 days). On a new
    /// deployment this also creates the vendor organisation.
    Invite {
        /// The administrator's e-mail address.
        #[arg(long)]
        email: String,
        /// The administrator's name.
        #[arg(long)]
        name: String,
        /// The vendor's legal name; needed once, when the deployment has no vendor yet.
        #[arg(long)]
        vendor_name: Option<String>,
        /// The vendor's country (ISO 3166 two letters); needed with --vendor-name.
        #[arg(long)]
        vendor_country: Option<String>,
    },
}

/// The SQLite file used when PORTICO_DATABASE_URL is unset.
const DATABASE_FILE: &str = "portico.db";
const DEMO_DATABASE_FILE: &str = "demo.db";

fn main() -> ExitCode {
    hand_large_blocks_back_to_the_system();
    let cli = Cli::parse();
    let database_file = match cli.command {
        Command::Demo { .. } => DEMO_DATABASE_FILE,
        Command::Serve
        | Command::Worker
        | Command::Migrate
        | Command::Audit { .. }
        | Command::Admin { .. }
        | Command::Commissions { .. } => DATABASE_FILE,
    };
    let config = match cli.settings.check(database_file) {
        Ok(config) => config,
        Err(error) => {
            eprintln!("portico: {error}");
            return ExitCode::from(2);
        }
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            EnvFilter::try_from_env("PORTICO_LOG")
                .unwrap_or_else(|_| EnvFilter::new("info,sqlx=warn,sea_orm=warn")),
        )
        .init();
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("portico: cannot start the async runtime: {error}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(run(cli.command, config)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("portico: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(command: Command, config: Config) -> anyhow::Result<()> {
    match command {
        Command::Serve => serve(config).await,
        Command::Worker => {
            let portal = Portal::open(config).await?;
            println!("Portico job worker running (Ctrl-C stops it)");
            portal.worker().run(shutdown_signal()).await;
            Ok(())
        }
        Command::Migrate => {
            let db = db::connect(&config.database).await?;
            db::migrate(&db).await?;
            db.close().await?;
            println!("{}: schema is up to date", config.database);
            Ok(())
        }
        Command::Audit {
            command: AuditCommand::Verify,
        } => {
            let db = db::connect(&config.database).await?;
            let verification = portico::audit::verify(&db).await;
            db.close().await?;
            let verification = verification?;
            match verification.first_problem {
                None => {
                    println!(
                        "audit log intact: {} rows, chain verified",
                        verification.rows_checked
                    );
                    Ok(())
                }
                Some(problem) => anyhow::bail!(
                    "audit log broken: {problem} ({} rows verified before it)",
                    verification.rows_checked
                ),
            }
        }
        Command::Admin {
            command:
                AdminCommand::Invite {
                    email,
                    name,
                    vendor_name,
                    vendor_country,
                },
        } => {
            let portal = Portal::open(config).await?;
            let invitation = portico::identity::bootstrap::AdminInvitation {
                email: &email,
                name: &name,
                vendor_name: vendor_name.as_deref(),
                vendor_country: vendor_country.as_deref(),
            };
            let state = portal.state();
            let link = portico::identity::bootstrap::invite_administrator(
                &state.db,
                &state.config.base_url,
                invitation,
            )
            .await?;
            println!("Invitation for {email} (administrator), valid for 7 days:\n{link}");
            Ok(())
        }
        Command::Commissions {
            command: CommissionsCommand::Settle { from, through },
        } => {
            let day = |flag: &str, text: String| {
                portico::platform::time::parse_day(&text).ok_or_else(|| {
                    anyhow::anyhow!("--{flag} {text:?} is not a day such as 2026-11-01")
                })
            };
            let from = from.map(|text| day("from", text)).transpose()?;
            let through = match through {
                Some(text) => day("through", text)?,
                None => portico::platform::time::now().date(),
            };
            let db = db::connect(&config.database).await?;
            db::migrate(&db).await?;
            let actor = portico::commissions::store::Actor {
                user_id: None,
                label: "Commission run (command line)".to_owned(),
            };
            let report = portico::commissions::settle_all(&db, (from, through), &actor).await;
            db.close().await?;
            let report = report?;
            println!(
                "settled {} periods in {:.1} s: {} commission lines written, {} statements prepared, {} updated",
                report.periods,
                report.seconds,
                report.lines_written,
                report.statements_created,
                report.statements_updated
            );
            Ok(())
        }
        Command::Demo { scale } => {
            let files =
                portico::platform::files::FileStore::open(&config.files, config.max_upload_bytes)?;
            let logins = demo::prepare(&config.database, &files, scale).await?;
            println!(
                "Demo program \"{}\" created in {}.\n\nSign in as any of these, with the \
                 password \"{}\":",
                demo::PROGRAM_NAME,
                config.database,
                demo::DEMO_PASSWORD
            );
            // The featured accounts: one of every role; every other partner has an admin too.
            let (featured, others) = logins.split_at(logins.len().min(18));
            for login in featured {
                println!(
                    "  {:<36} {:<22} {}",
                    login.email,
                    login.role.label(),
                    login.organization
                );
            }
            println!(
                "\nAdministrators sign in with a second factor: add the key {} to an \
                 authenticator app.",
                demo::DEMO_ADMIN_TOTP_SECRET
            );
            if !others.is_empty() {
                println!(
                    "  … and an administrator for each of the {} other partners \
                     (admin@<partner-name>.example)",
                    others.len()
                );
            }
            println!();
            serve(config).await
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    let listener = TcpListener::bind(config.listen)
        .await
        .with_context(|| format!("cannot listen on {} (PORTICO_LISTEN)", config.listen))?;
    let base_url = config.base_url.clone();
    match &config.smtp {
        Some(smtp) => {
            tracing::info!(server = %smtp.server, from = %smtp.from, "mail goes out by SMTP")
        }
        None => tracing::info!("no SMTP server configured (PORTICO_SMTP_URL)"),
    }
    tracing::info!(database = %config.database, "opening the database");
    let portal = Portal::open(config).await?;
    tracing::info!(
        "Portico {} serving at {base_url}",
        env!("CARGO_PKG_VERSION")
    );
    println!("Portico is running at {base_url} (Ctrl-C stops it)");
    portal.serve(listener, shutdown_signal()).await
}

/// A password check takes a 19 MiB block. Once glibc frees such a block it raises its threshold
/// for mapping blocks of their own to that size, so later ones come from its arenas and stay
/// there: after a morning of sign-ins the server held every arena's 19 MiB for good. A fixed
/// threshold keeps blocks of 4 MiB and more mapped on their own and returned when freed; the
/// heap is trimmed only past 32 MiB free at its top, as the raised threshold would have, since
/// trimming at glibc's first 128 KiB cost a quarter of the pages' throughput.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn hand_large_blocks_back_to_the_system() {
    // SAFETY: mallopt only sets allocator parameters; no other thread exists yet.
    unsafe {
        libc::mallopt(libc::M_MMAP_THRESHOLD, 4 << 20);
        libc::mallopt(libc::M_TRIM_THRESHOLD, 32 << 20);
    }
}

#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn hand_large_blocks_back_to_the_system() {}
