//! Identity: users, passwords, sessions, sign-in and sign-out, and the roles page. It turns a
//! session cookie into the request's `Scope`, the only source of who may see what.
//!
//! Rules: passwords are argon2id hashes and pass the policy in `password`; sessions live in the
//! database; sign-in answers alike for unknown and known addresses; every sign-in, failure and
//! sign-out is audited.

pub mod api;
pub mod api_tokens;
pub mod bootstrap;
pub mod entity;
mod login;
pub mod password;
pub mod policy;
mod profile;
mod recovery;
mod roles;
pub mod second_factor;
pub mod session;
mod staff;
pub mod store;
pub mod tokens;
pub(crate) mod users;
mod view_as;

use axum::Router;
use axum::routing::{get, post};

use crate::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", post(login::sign_out))
        .route(
            "/login/second-factor",
            get(login::second_factor_form).post(login::second_factor_submit),
        )
        .route("/profile/two-factor", get(second_factor::page))
        .route("/profile/two-factor/enable", post(second_factor::enable))
        .route("/profile/two-factor/disable", post(second_factor::disable))
        .route("/admin/roles", get(roles::page))
        .route("/admin/staff", get(staff::page))
        .route("/api-tokens", get(api_tokens::page).post(api_tokens::make))
        .route("/api-tokens/{id}/revoke", post(api_tokens::revoke_page))
        .route(
            "/admin/roles/{role}/second-factor",
            post(roles::set_second_factor_policy),
        )
        .route(
            "/password/forgot",
            get(recovery::forgot_form).post(recovery::forgot_submit),
        )
        .route(
            "/password/reset/{token}",
            get(recovery::reset_form).post(recovery::reset_submit),
        )
        .route("/profile", get(profile::page))
        .route("/profile/name", post(profile::rename))
        .route("/profile/password", post(profile::change_password))
        .route(
            "/profile/sign-out-everywhere",
            post(profile::sign_out_everywhere),
        )
        .route("/view-as/{id}", post(view_as::start))
        .route("/view-as/stop", post(view_as::stop))
        .route("/users", get(users::list))
        .route("/users/invite", post(users::invite))
        .route("/users/{id}/deactivate", post(users::deactivate))
        .route("/users/{id}/reactivate", post(users::reactivate))
        .route("/users/{id}/role", post(users::change_role))
        .route(
            "/users/{id}/reset-second-factor",
            post(users::reset_second_factor),
        )
        .route(
            "/invitation/{token}",
            get(users::accept_form).post(users::accept),
        )
}
