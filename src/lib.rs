//! Portico, a partner portal: one vendor's indirect sales channel, with every partner
//! organisation seeing only its own data.
//!
//! [`Portal::open`] connects to the database and applies migrations; [`Portal::router`] builds
//! the web app; [`Portal::serve`] runs it until shutdown. Capability modules each own their
//! routes; `platform` holds the machinery they share.

pub mod assets;
pub mod audit;
pub mod commissions;
pub mod demo;
pub mod home;
pub mod identity;
pub mod integrations;
mod migrations;
pub mod notify;
pub mod orders;
pub mod orgs;
pub mod platform;
pub mod scale;
pub mod support;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::http::{HeaderName, HeaderValue, Request};
use axum::middleware::from_fn_with_state;
use axum::routing::get;
use tokio::net::TcpListener;
use tower::ServiceBuilder;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::CompressionLayer;
use tower_http::request_id::{
    MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer,
};
use tower_http::trace::TraceLayer;

use platform::config::Config;
use platform::db::{self, Db};
use platform::error::ErrorPage;
use platform::files::FileStore;
use platform::instance::{self, Instance};
use platform::jobs::{JobContext, Registry, Worker};
use platform::mail::Mailer;
use platform::metrics::{self, Metrics};
use platform::{csrf, web};

/// What every handler can reach. Cheap to clone.
#[derive(Clone)]
pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub instance: Arc<Instance>,
    pub metrics: Arc<Metrics>,
    pub mailer: Mailer,
    pub files: FileStore,
    /// Requests each API token may still make.
    pub api_limits: Arc<platform::api::RateLimiter>,
    /// The asset library, kept in memory while it does not change.
    pub library: Arc<assets::store::Library>,
    security_headers: Arc<Vec<(HeaderName, HeaderValue)>>,
}

/// An opened portal: database connected and migrated, ready to serve.
pub struct Portal {
    state: AppState,
}

impl Portal {
    /// Connects, applies pending migrations and loads the deployment's record.
    pub async fn open(config: Config) -> anyhow::Result<Portal> {
        let db = db::connect(&config.database).await?;
        db::migrate(&db).await?;
        if db.get_database_backend() == sea_orm::DbBackend::Sqlite {
            db::refresh_planner_statistics(&db).await?;
        }
        let instance = instance::find_or_create(&db).await?;
        notify::jobs::schedule_digest(&db, platform::time::now()).await?;
        commissions::jobs::schedule_settle(&db, platform::time::now()).await?;
        let mailer = Mailer::new(config.smtp.as_ref())?;
        let https = config.is_https();
        let files = FileStore::open(&config.files, config.max_upload_bytes)?;
        let api_limits = Arc::new(platform::api::RateLimiter::new(config.api_rate_limit));
        Ok(Portal {
            state: AppState {
                db,
                config: Arc::new(config),
                instance: Arc::new(instance),
                metrics: Arc::default(),
                mailer,
                files,
                api_limits,
                library: Arc::new(assets::store::Library::new(assets::store::LIBRARY)),
                security_headers: Arc::new(web::security_headers(https)),
            },
        })
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// A job worker over this portal's database, with every module's job handlers.
    pub fn worker(&self) -> Worker {
        let context = JobContext {
            db: self.state.db.clone(),
            mailer: self.state.mailer.clone(),
            base_url: self.state.config.base_url.clone(),
        };
        Worker::new(context, job_handlers())
    }

    /// The whole web app: pages, operations endpoints, assets and the shared layers.
    pub fn router(&self) -> Router {
        let state = self.state.clone();
        let pages = Router::new()
            .merge(home::routes())
            .merge(identity::routes())
            .merge(orgs::routes())
            .merge(orders::routes())
            .merge(assets::routes())
            .merge(commissions::routes())
            .merge(support::routes())
            .merge(notify::routes())
            .merge(audit::routes())
            .merge(integrations::pages())
            .merge(platform::health::routes())
            .merge(platform::jobs_admin::routes())
            .route("/assets/{name}", get(web::serve_asset))
            .fallback(web::not_found);
        // Listed outermost first. Pages know their visitor by session cookie and check CSRF
        // tokens; the API knows its caller by bearer token and keeps out of both.
        let page_layers = ServiceBuilder::new()
            .layer(from_fn_with_state(state.clone(), csrf::assign))
            // Errors of the session layer itself get a page without the visitor's details;
            // every later one, with them.
            .layer(from_fn_with_state(state.clone(), web::render_error_pages))
            .layer(from_fn_with_state(state.clone(), identity::session::load))
            .layer(from_fn_with_state(state.clone(), web::render_error_pages))
            .layer(axum::middleware::from_fn(csrf::verify))
            .layer(axum::middleware::from_fn(
                identity::session::refuse_changes_while_viewing_as,
            ));
        let routes = pages.layer(page_layers).merge(integrations::routes(&state));
        // The request id exists before anything logs.
        let layers = ServiceBuilder::new()
            .layer(SetRequestIdLayer::new(
                HeaderName::from_static(web::REQUEST_ID_HEADER),
                MakeRequestUuidV7,
            ))
            .layer(TraceLayer::new_for_http().make_span_with(request_span))
            .layer(PropagateRequestIdLayer::new(HeaderName::from_static(
                web::REQUEST_ID_HEADER,
            )))
            .layer(from_fn_with_state(state.clone(), metrics::track))
            .layer(CompressionLayer::new())
            .layer(from_fn_with_state(state.clone(), web::add_security_headers))
            .layer(CatchPanicLayer::custom(|_| {
                ErrorPage::response(axum::http::StatusCode::INTERNAL_SERVER_ERROR)
            }));
        routes.layer(layers).with_state(state)
    }

    /// Serves until `shutdown` completes, then lets in-flight requests finish and closes the
    /// database pool.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let router = self.router();
        // Counted among the nodes before the first request, so the rate limit is split at once;
        // a busy database delays the count to the next heartbeat, not the start.
        let node = platform::ids::new_id();
        let counted =
            tokio::time::timeout(FIRST_COUNT_WAIT, keep_count_of_nodes(&self.state, node)).await;
        if !matches!(counted, Ok(Ok(()))) {
            tracing::warn!("could not count the nodes at start; the next heartbeat will");
        }
        let heartbeat = tokio::spawn(heartbeat(self.state.clone(), node));
        let retries = tokio::spawn(retry_mail(self.state.clone()));
        let (stop_worker, worker_stopped) = tokio::sync::oneshot::channel::<()>();
        let worker = tokio::spawn(self.worker().run(async {
            let _ = worker_stopped.await;
        }));
        let (signalled, on_signal) = tokio::sync::oneshot::channel::<()>();
        let server = axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(async move {
            shutdown.await;
            let _ = signalled.send(());
        });
        let grace_elapsed = async {
            if on_signal.await.is_ok() {
                tokio::time::sleep(SHUTDOWN_GRACE).await;
            } else {
                std::future::pending::<()>().await;
            }
        };
        tokio::select! {
            result = server => result?,
            () = grace_elapsed => {
                tracing::warn!("requests still running after {SHUTDOWN_GRACE:?}; closing them");
            }
        }
        retries.abort();
        heartbeat.abort();
        if let Err(error) = platform::nodes::leave(&self.state.db, node).await {
            tracing::warn!(%error, "could not leave the list of nodes");
        }
        let _ = stop_worker.send(());
        let _ = worker.await;
        self.state.db.close().await?;
        Ok(())
    }
}

/// Every kind of job the modules run.
fn job_handlers() -> Registry {
    Registry::new()
        .register(notify::jobs::MAIL, notify::jobs::send_one)
        .register(notify::jobs::DIGEST, notify::jobs::send_digests)
        .register(commissions::jobs::SETTLE, commissions::jobs::settle)
        .register(support::store::SLA_JOB, support::jobs::check_clock)
        .register(
            integrations::webhooks::DELIVER_JOB,
            integrations::webhooks::deliver,
        )
}

/// How long `serve` waits at start for its first count of the nodes.
const FIRST_COUNT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

/// Marks this node live and shares the API's rate limit among the live nodes.
async fn keep_count_of_nodes(state: &AppState, node: uuid::Uuid) -> anyhow::Result<()> {
    let txn = platform::db::begin_write(&state.db).await?;
    let live = platform::nodes::beat(&txn, node, platform::time::now()).await?;
    txn.commit().await?;
    state.api_limits.set_nodes(live);
    Ok(())
}

async fn heartbeat(state: AppState, node: uuid::Uuid) {
    let mut every = tokio::time::interval(platform::nodes::HEARTBEAT);
    every.tick().await;
    loop {
        every.tick().await;
        if let Err(error) = keep_count_of_nodes(&state, node).await {
            tracing::warn!(error = format!("{error:#}"), "node heartbeat failed");
        }
    }
}

/// Delivers mail that could not go out at once (SMTP down, a crash mid-send).
async fn retry_mail(state: AppState) {
    if !state.mailer.sends_by_smtp() {
        return;
    }
    let mut every = tokio::time::interval(platform::mail::RETRY_INTERVAL);
    loop {
        every.tick().await;
        if let Err(error) = state.mailer.deliver_pending(&state.db).await {
            tracing::warn!(%error, "mail retry failed");
        }
    }
}

#[derive(Clone, Copy)]
struct MakeRequestUuidV7;

impl MakeRequestId for MakeRequestUuidV7 {
    fn make_request_id<B>(&mut self, _: &Request<B>) -> Option<RequestId> {
        let id = platform::ids::new_id().to_string();
        HeaderValue::from_str(&id).ok().map(RequestId::new)
    }
}

fn request_span<B>(request: &Request<B>) -> tracing::Span {
    let request_id = request
        .headers()
        .get(web::REQUEST_ID_HEADER)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    tracing::info_span!(
        "request",
        method = %request.method(),
        path = %request.uri().path(),
        request_id,
    )
}

/// Completes on Ctrl-C or SIGTERM, the signals service managers send to stop.
pub async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutting down: finishing requests in flight");
}

/// How long in-flight requests get to finish after a shutdown signal.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(30);
