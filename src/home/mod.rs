//! The home page: the first thing a visitor sees. It introduces the program and says who is
//! signed in; it becomes each user's command centre as modules arrive.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::Response;
use axum::routing::get;

use crate::AppState;
use crate::platform::error::AppResult;
use crate::platform::time::format_date;
use crate::platform::web::{Chrome, PageContext, render};

pub fn routes() -> Router<AppState> {
    Router::new().route("/", get(home))
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
    running_since: String,
}

async fn home(State(state): State<AppState>, context: PageContext) -> AppResult<Response> {
    render(&HomePage {
        chrome: Chrome::new(&state.instance, &context),
        running_since: format_date(state.instance.created_at),
    })
}
