//! The organisations API: the partner organisations a token may see, with their profiles.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::entity::organization::Model as Organization;
use super::store::{self, PartnerFilter};
use crate::AppState;
use crate::api_page;
use crate::platform::api::{
    ApiQuery, ApiResult, PageQuery, Problem, ProblemDocument, moment, next_page, path_id,
};
use crate::platform::scope::Scope;

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ApiOrganisation {
    pub id: Uuid,
    /// The parent organisation (a distributor above a reseller).
    pub parent_id: Option<Uuid>,
    pub name: String,
    pub legal_name: String,
    /// `distributor`, `reseller`, `referral`, `agency`, `integrator` …
    pub partner_type: Option<String>,
    pub tier: Option<String>,
    /// `prospect`, `onboarding`, `active`, `suspended` or `terminated`.
    pub status: String,
    /// ISO 3166 country code.
    pub country: String,
    pub website: Option<String>,
    pub markets: Vec<String>,
    pub capabilities: Vec<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

impl From<Organization> for ApiOrganisation {
    fn from(o: Organization) -> ApiOrganisation {
        ApiOrganisation {
            id: o.id,
            parent_id: o.parent_id,
            markets: store::entries(o.markets.as_deref()),
            capabilities: store::entries(o.capabilities.as_deref()),
            name: o.name,
            legal_name: o.legal_name,
            partner_type: o.partner_type,
            tier: o.tier,
            status: o.status,
            country: o.country,
            website: o.website,
            created_at: moment(o.created_at),
        }
    }
}

api_page!(OrganisationPage, ApiOrganisation);

#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct OrganisationFilter {
    /// Name or legal name contains this.
    pub q: Option<String>,
    pub partner_type: Option<String>,
    pub status: Option<String>,
    pub tier: Option<String>,
    pub country: Option<String>,
}

/// The partner organisations the token may see, by name.
#[utoipa::path(
    get,
    path = "/api/v1/organisations",
    tag = "organisations",
    params(OrganisationFilter, PageQuery),
    responses(
        (status = 200, description = "A page of organisations", body = OrganisationPage),
        (status = 403, description = "The token lacks partners.read", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    scope: Scope,
    ApiQuery(filter): ApiQuery<OrganisationFilter>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> ApiResult<Json<OrganisationPage>> {
    let (limit, after) =
        Problem::both(page.limit(), page.cursor(|text| Uuid::parse_str(text).ok()))?;
    let text = |v: &Option<String>| v.clone().unwrap_or_default();
    let filter = PartnerFilter {
        q: text(&filter.q),
        partner_type: text(&filter.partner_type),
        status: text(&filter.status),
        tier: text(&filter.tier),
        country: text(&filter.country),
    };
    let found = store::partners_page(&state.db, &scope, &filter, after, limit + 1)
        .await?
        .ok_or_else(|| {
            Problem::field(
                "cursor",
                "unknown",
                "is not a cursor this list gave out; start again without it",
            )
        })?;
    let (items, next_cursor) = next_page(found, limit, |o: &Organization| o.id.to_string());
    Ok(Json(OrganisationPage {
        items: items.into_iter().map(ApiOrganisation::from).collect(),
        next_cursor,
    }))
}

/// One partner organisation.
#[utoipa::path(
    get,
    path = "/api/v1/organisations/{id}",
    tag = "organisations",
    params(("id" = Uuid, Path, description = "The organisation's id")),
    responses(
        (status = 200, description = "The organisation", body = ApiOrganisation),
        (status = 404, description = "No such organisation in the token's scope", body = ProblemDocument, content_type = "application/problem+json"),
    )
)]
pub async fn one(
    State(state): State<AppState>,
    scope: Scope,
    Path(id): Path<String>,
) -> ApiResult<Json<ApiOrganisation>> {
    let found = store::find_partner(&state.db, &scope, path_id(&id)?).await?;
    Ok(Json(found.into()))
}
