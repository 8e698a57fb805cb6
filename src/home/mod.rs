//! The home page: the first thing a visitor sees. It introduces the program and says who is
//! signed in, and a partner's support: their account managers and open requests. It becomes each
//! user's command centre as modules arrive.

use askama::Template;
use axum::Extension;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::AppState;
use crate::platform::error::AppResult;
use crate::platform::scope::Scope;
use crate::platform::time::format_date;
use crate::platform::web::{Chrome, PageContext, render};
use crate::support::SupportSummary;

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    running_since: String,
    support: Option<SupportSummary>,
}

async fn home(
    State(state): State<AppState>,
    context: PageContext,
    scope: Option<Extension<Scope>>,
) -> AppResult<Response> {
    let support = match &scope {
        Some(Extension(scope)) => crate::support::summary_for(&state.db, scope).await?,
        None => None,
    };
    render(&HomePage {
        chrome: Chrome::new(&state.instance, &context),
        running_since: format_date(state.instance.created_at),
        support,
    })
}
