//! The REST API through real HTTP: tokens made and revoked on their page, bearer authentication,
//! pages and cursors, filters with field errors, ETags, idempotency keys, the rate limit, the
//! OpenAPI document against the routes and the answers, and tenancy for every documented
//! operation.

use portico::assets::entity::asset;
use portico::identity::entity::api_token;
use portico::orgs::entity::organization;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, Visitor, on_both_databases};

const PARTNER_ADMIN: &str = "jana.weber@brightline.example";
const SALES: &str = "lukas.brandt@brightline.example";
const OTHER_PARTNER_ADMIN: &str = "anna.kessler@kessler-it.example";
const VENDOR_ADMIN: &str = "alex.morgan@northwind.example";

/// Makes a token on the tokens page as `visitor`; returns its secret.
pub async fn make_token(visitor: &Visitor, name: &str, permissions: &[&str]) -> String {
    let mut fields = vec![("name", name), ("expires_on", "")];
    fields.extend(permissions.iter().map(|p| ("permission", *p)));
    let response = visitor.post_form("/api-tokens", &fields).await;
    assert_eq!(response.status(), 200);
    let page = response.text().await.unwrap();
    let start = page
        .find("id=\"token-secret\">")
        .expect("the secret is shown")
        + 18;
    page[start..start + 68].to_owned()
}

struct Api<'a> {
    app: &'a TestApp,
    token: String,
}

impl Api<'_> {
    fn request(&self, method: reqwest::Method, path: &str) -> reqwest::RequestBuilder {
        self.app
            .client
            .request(method, self.app.url(path))
            .bearer_auth(&self.token)
    }

    async fn get(&self, path: &str) -> reqwest::Response {
        self.request(reqwest::Method::GET, path)
            .send()
            .await
            .unwrap()
    }

    async fn json(&self, path: &str) -> Value {
        let response = self.get(path).await;
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    async fn post(&self, path: &str, body: Value, key: Option<&str>) -> reqwest::Response {
        let mut request = self.request(reqwest::Method::POST, path).json(&body);
        if let Some(key) = key {
            request = request.header("idempotency-key", key);
        }
        request.send().await.unwrap()
    }
}

async fn problem(response: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(response.status(), status);
    assert_eq!(
        response.headers()["content-type"],
        "application/problem+json"
    );
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["type"], format!("/api/docs#problem-{code}"), "{body}");
    assert_eq!(body["status"], status);
    body
}

/// Places a one-line order as `visitor`; returns its id.
pub async fn place_order(visitor: &Visitor, customer: &str) -> Uuid {
    let response = visitor
        .post_form(
            "/orders/new",
            &[
                ("customer_name", customer),
                ("currency", "EUR"),
                ("sku", "NW-SW-1000"),
                ("quantity", "2"),
                ("discount", ""),
                ("intent", "submit"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap();
    Uuid::parse_str(
        location
            .trim_start_matches("/orders/")
            .split('?')
            .next()
            .unwrap(),
    )
    .unwrap()
}

/// An active support ticket of the partner, from the demo program.
async fn ticket_of(app: &TestApp, partner: Uuid) -> Uuid {
    use portico::support::entity::ticket;
    ticket::Entity::find()
        .filter(ticket::Column::PartnerId.eq(partner))
        .filter(ticket::Column::Status.is_in(["new", "open"]))
        .one(&app.pool)
        .await
        .unwrap()
        .expect("the demo partner has an active ticket")
        .id
}

/// A statement of the partner from the demo program, and one of its lines.
async fn statement_and_line_of(app: &TestApp, partner: Uuid) -> (Uuid, Uuid) {
    use portico::commissions::entity::line;
    let line = line::Entity::find()
        .filter(line::Column::PartnerId.eq(partner))
        .filter(line::Column::StatementId.is_not_null())
        .one(&app.pool)
        .await
        .unwrap()
        .expect("the demo partner has settled commission lines");
    (line.statement_id.unwrap(), line.id)
}

async fn partner_id(app: &TestApp, name: &str) -> Uuid {
    organization::Entity::find()
        .filter(organization::Column::Name.eq(name))
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap()
        .id
}

on_both_databases! {
    async fn tokens_are_shown_once_hold_only_their_permissions_and_can_be_revoked(app) {
        let app = app.with_demo_program().await;
        let admin = app.signed_in(PARTNER_ADMIN).await;

        let refused = admin
            .post_form("/api-tokens", &[("name", "Too wide"), ("permission", "settings.manage"), ("expires_on", "2020-01-01")])
            .await;
        assert_eq!(refused.status(), 200);
        let page = refused.text().await.unwrap();
        assert!(page.contains("settings.manage is not one of yours"), "{page}");
        assert!(page.contains("choose a day after today"));
        assert_eq!(api_token::Entity::find().count(&app.pool).await.unwrap(), 0, "nothing was made");

        let secret = make_token(&admin, "Nightly import", &["orders.read", "partners.read"]).await;
        assert!(secret.starts_with("ptk_"));
        let stored = api_token::Entity::find().one(&app.pool).await.unwrap().unwrap();
        assert_ne!(stored.digest, secret, "only a digest is kept");
        let later = admin.get("/api-tokens").await.text().await.unwrap();
        assert!(later.contains("Nightly import") && !later.contains(&secret), "the secret is shown once");

        let api = Api { app: &app, token: secret.clone() };
        let me = api.json("/api/v1/me").await;
        assert_eq!(me["email"], PARTNER_ADMIN);
        assert_eq!(me["permissions"], json!(["partners.read", "orders.read"]));
        problem(api.get("/api/v1/users").await, 403, "forbidden").await;

        let anonymous = app.client.get(app.url("/api/v1/me")).send().await.unwrap();
        assert_eq!(anonymous.headers()["www-authenticate"], "Bearer realm=\"portico\"");
        problem(anonymous, 401, "unauthorized").await;
        let wrong = Api { app: &app, token: format!("ptk_{}", "0".repeat(64)) };
        problem(wrong.get("/api/v1/me").await, 401, "unauthorized").await;

        let revoked = admin.post_form(&format!("/api-tokens/{}/revoke", stored.id), &[]).await;
        assert_eq!(revoked.status(), 303);
        problem(api.get("/api/v1/me").await, 401, "unauthorized").await;

        // Another partner's administrator neither sees nor revokes it.
        let other = app.signed_in(OTHER_PARTNER_ADMIN).await;
        assert!(!other.get("/api-tokens").await.text().await.unwrap().contains("Nightly import"));
        let secret = make_token(&admin, "Second", &["orders.read"]).await;
        let second = api_token::Entity::find()
            .filter(api_token::Column::Name.eq("Second"))
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(other.post_form(&format!("/api-tokens/{}/revoke", second.id), &[]).await.status(), 404);
        assert_eq!(Api { app: &app, token: secret }.get("/api/v1/me").await.status(), 200);
        // Sales people make no tokens.
        assert_eq!(app.signed_in(SALES).await.get("/api-tokens").await.status(), 403);
    }

    async fn orders_page_filter_cache_and_take_messages_once(app) {
        let app = app.with_demo_program().await;
        let sales = app.signed_in(SALES).await;
        let mut placed = Vec::new();
        for customer in ["API Kiel", "API Augsburg", "API Bremen"] {
            placed.push(place_order(&sales, customer).await);
        }
        let admin = app.signed_in(PARTNER_ADMIN).await;
        let api = Api { app: &app, token: make_token(&admin, "Sync", &["orders.read", "orders.write"]).await };

        let first = api.json("/api/v1/orders?limit=2&status=submitted&q=API%20").await;
        assert_eq!(first["items"].as_array().unwrap().len(), 2);
        let cursor = first["next_cursor"].as_str().expect("a second page").to_owned();
        let second = api.json(&format!("/api/v1/orders?limit=2&status=submitted&q=API%20&cursor={cursor}")).await;
        let mut seen: Vec<String> = first["items"].as_array().unwrap().iter()
            .chain(second["items"].as_array().unwrap())
            .map(|o| o["id"].as_str().unwrap().to_owned())
            .collect();
        assert!(second["next_cursor"].is_null());
        seen.sort();
        let mut expected: Vec<String> = placed.iter().map(Uuid::to_string).collect();
        expected.sort();
        assert_eq!(seen, expected, "three orders over two pages, none twice");

        let bad = problem(api.get("/api/v1/orders?status=shipped,lost&limit=0").await, 422, "invalid").await;
        let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["status", "limit"], "every invalid field at once");
        let bad = problem(api.get("/api/v1/orders?status=lost").await, 422, "invalid").await;
        assert_eq!(bad["errors"][0]["field"], "status");
        assert!(bad["errors"][0]["message"].as_str().unwrap().contains("\"lost\""));
        problem(api.get("/api/v1/orders?cursor=nonsense").await, 422, "invalid").await;

        let path = format!("/api/v1/orders/{}", placed[0]);
        let response = api.get(&path).await;
        let etag = response.headers()["etag"].to_str().unwrap().to_owned();
        let order: Value = response.json().await.unwrap();
        assert_eq!(order["customer_name"], "API Kiel");
        assert_eq!(order["lines"][0]["sku"], "NW-SW-1000");
        assert!(order["history"].as_array().unwrap().iter().any(|e| e["kind"] == "created"));
        let unchanged = api.request(reqwest::Method::GET, &path).header("if-none-match", &etag).send().await.unwrap();
        assert_eq!(unchanged.status(), 304);
        assert!(unchanged.bytes().await.unwrap().is_empty());

        let messages = format!("{path}/messages");
        let before = api.get(&messages).await.headers()["etag"].to_str().unwrap().to_owned();
        let body = json!({ "body": "Can this ship before Friday?" });
        let created = api.post(&messages, body.clone(), Some("retry-1")).await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        let replayed = api.post(&messages, body.clone(), Some("retry-1")).await;
        assert_eq!(replayed.status(), 201);
        assert_eq!(replayed.headers()["idempotent-replayed"], "true");
        assert_eq!(replayed.json::<Value>().await.unwrap(), created);
        problem(api.post(&messages, json!({ "body": "Something else" }), Some("retry-1")).await, 422, "idempotency-key-reused").await;
        let thread = api.json(&messages).await;
        assert_eq!(thread.as_array().unwrap().len(), 1, "the retry changed nothing");
        assert_eq!(thread[0]["author"], "Jana Weber (Brightline Distribution)");
        assert!(app.get("/api/v1/me").await.status() == 401);

        // The thread changed: its old ETag is stale.
        let changed = api.request(reqwest::Method::GET, &messages).header("if-none-match", &before).send().await.unwrap();
        assert_eq!(changed.status(), 200);

        problem(api.post(&messages, json!({ "body": "  " }), None).await, 422, "invalid").await;
        problem(api.post(&messages, json!({ "text": 1 }), None).await, 422, "invalid").await;
        let reader = Api { app: &app, token: make_token(&admin, "Reader", &["orders.read"]).await };
        problem(reader.post(&messages, body, None).await, 403, "forbidden").await;
        let documents = reader.json(&format!("{path}/documents")).await;
        assert_eq!(documents, json!([]));
        problem(reader.get("/api/v1/no-such-thing").await, 404, "not-found").await;
    }

    async fn another_partners_data_answers_404_on_every_documented_operation(app) {
        let app = app.with_demo_program().await;
        let sales = app.signed_in(SALES).await;
        let order = place_order(&sales, "Stadtwerke Kiel").await;
        let admin = app.signed_in(PARTNER_ADMIN).await;
        let own = Api { app: &app, token: make_token(&admin, "Own", &["orders.read", "orders.write", "partners.read", "users.read"]).await };
        assert_eq!(own.json(&format!("/api/v1/orders/{order}/messages")).await, json!([]));
        let brightline = partner_id(&app, "Brightline Distribution").await;
        let ticket = ticket_of(&app, brightline).await;

        let (brightline_statement, brightline_line) = statement_and_line_of(&app, brightline).await;
        // An asset meant for distributors only: the reseller's token learns nothing of it.
        let hidden_asset = asset::Entity::find().filter(asset::Column::AudienceTypes.eq("distributor")).one(&app.pool).await.unwrap().unwrap().id;

        let other = app.signed_in(OTHER_PARTNER_ADMIN).await;
        let outsider = Api { app: &app, token: make_token(&other, "Outsider", &["orders.read", "orders.write", "partners.read", "users.read", "tickets.read", "tickets.write", "assets.read", "commissions.read", "commissions.dispute"]).await };
        let document: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
        let mut walked = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            for method in ["get", "post"] {
                if item.get(method).is_none() {
                    continue;
                }
                walked += 1;
                let concrete = path
                    .replace("/orders/{id}", &format!("/orders/{order}"))
                    .replace("/organisations/{id}", &format!("/organisations/{brightline}"))
                    .replace("{document_id}", &Uuid::now_v7().to_string())
                    .replace("/notifications/{id}", &format!("/notifications/{}", Uuid::now_v7()))
                    .replace("/tickets/{id}", &format!("/tickets/{ticket}"))
                    .replace("/assets/{id}", &format!("/assets/{hidden_asset}"))
                    .replace("/statements/{id}", &format!("/statements/{brightline_statement}"))
                    .replace("/commission-lines/{id}", &format!("/commission-lines/{brightline_line}"))
                    .replace("{source}", "erp")
                    .replace("{reference}", "ERP-NONE");
                assert!(!concrete.contains('{'), "no stand-in for a parameter of {path}");
                let response = if method == "get" {
                    outsider.get(&concrete).await
                } else {
                    outsider.post(&concrete, json!({ "body": "hello" }), None).await
                };
                let status = response.status().as_u16();
                let text = response.text().await.unwrap();
                if path.contains('{') {
                    assert!(matches!(status, 403 | 404), "{method} {concrete} answered {status}: {text}");
                } else {
                    assert!(!text.contains(&order.to_string()) && !text.contains("Brightline"), "{method} {concrete} leaks: {text}");
                }
            }
        }
        assert!(walked >= 17, "walked {walked} operations");
        let thread = own.json(&format!("/api/v1/orders/{order}/messages")).await;
        assert_eq!(thread, json!([]), "the outsider's POST changed nothing");
    }

    async fn the_document_lists_every_route_and_answers_fit_it(app) {
        let app = app.with_demo_program().await;
        let sales = app.signed_in(SALES).await;
        let order = place_order(&sales, "Stadtwerke Kiel").await;
        let admin = app.signed_in(VENDOR_ADMIN).await;
        let everything: Vec<&str> = portico::platform::scope::Permission::ALL.iter().map(|p| p.key()).collect();
        let api = Api { app: &app, token: make_token(&admin, "Everything", &everything).await };
        api.post(&format!("/api/v1/orders/{order}/messages"), json!({ "body": "Noted." }), None).await;
        let notification = api.json("/api/v1/notifications").await;
        let notification_id = notification[0]["id"].as_str().map(str::to_owned).unwrap_or_else(|| Uuid::now_v7().to_string());
        let brightline = partner_id(&app, "Brightline Distribution").await;
        let ticket = ticket_of(&app, brightline).await;

        let any_asset = asset::Entity::find().one(&app.pool).await.unwrap().unwrap().id;
        let (statement, line) = statement_and_line_of(&app, brightline).await;

        let response = app.get("/api/v1/openapi.json").await;
        assert_eq!(response.status(), 200, "the document needs no token");
        let document: Value = response.json().await.unwrap();
        assert!(document["openapi"].as_str().unwrap().starts_with("3.1"));
        let mut checked = 0;
        for (path, item) in document["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let concrete = path
                    .replace("/orders/{id}", &format!("/orders/{order}"))
                    .replace("/organisations/{id}", &format!("/organisations/{brightline}"))
                    .replace("{document_id}", &Uuid::now_v7().to_string())
                    .replace("/notifications/{id}", &format!("/notifications/{notification_id}"))
                    .replace("/tickets/{id}", &format!("/tickets/{ticket}"))
                    .replace("/assets/{id}", &format!("/assets/{any_asset}"))
                    .replace("/statements/{id}", &format!("/statements/{statement}"))
                    .replace("/commission-lines/{id}", &format!("/commission-lines/{line}"))
                    .replace("{source}", "erp")
                    .replace("{reference}", "ERP-NONE");
                let response = match method.as_str() {
                    "get" => api.get(&concrete).await,
                    "post" => api.post(&concrete, json!({ "body": "Schema check." }), None).await,
                    other => panic!("undocumented method {other}"),
                };
                let status = response.status().as_u16();
                let content_type = response.headers().get("content-type").map(|v| v.to_str().unwrap().to_owned()).unwrap_or_default();
                let body = response.bytes().await.unwrap();
                let text = String::from_utf8_lossy(&body);
                assert!(!text.contains("There is no API operation"), "{method} {path} is documented but not routed");
                assert!(status != 405, "{method} {path}");
                let documented = &operation["responses"][status.to_string()];
                assert!(documented.is_object(), "{method} {concrete} answered {status}, which its entry does not list: {text}");
                let Some(schema) = documented["content"][&content_type]["schema"].as_object() else { continue };
                let value: Value = serde_json::from_slice(&body).unwrap();
                let mut root = document.clone();
                root.as_object_mut().unwrap().extend(schema.clone());
                let validator = jsonschema::options()
                    .with_draft(jsonschema::Draft::Draft202012)
                    .build(&root)
                    .unwrap_or_else(|e| panic!("schema of {method} {path}: {e}"));
                let errors: Vec<String> = validator.iter_errors(&value).map(|e| format!("{} at {}", e, e.instance_path)).collect();
                assert!(errors.is_empty(), "{method} {path} {status} does not fit its schema: {errors:?}\n{value}");
                checked += 1;
            }
        }
        assert!(checked >= 10, "validated {checked} answers");
        let docs = admin.get("/api/docs").await.text().await.unwrap();
        assert!(docs.contains("/api/v1/orders/{id}/messages") && docs.contains("problem-idempotency-key-reused"));
    }
}

on_both_databases! {
    async fn partners_open_tickets_and_support_answers_through_the_api(app) {
        let app = app.with_demo_program().await;
        let partner = Api { app: &app, token: make_token(&app.signed_in(PARTNER_ADMIN).await, "Helpdesk", &["tickets.read", "tickets.write"]).await };
        let vendor = Api { app: &app, token: make_token(&app.signed_in(VENDOR_ADMIN).await, "Desk", &["tickets.read", "tickets.write", "tickets.internal"]).await };

        let bad = problem(partner.post("/api/v1/tickets", json!({ "subject": "", "category": "order", "priority": "soon", "body": "x" }), None).await, 422, "invalid").await;
        let fields: Vec<&str> = bad["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert!(fields.contains(&"subject") && fields.contains(&"priority"), "{bad}");
        let opened = partner.post("/api/v1/tickets", json!({ "subject": "Pallet arrived damaged", "category": "order", "priority": "high", "body": "Two units are dented." }), Some("open-1")).await;
        assert_eq!(opened.status(), 201);
        let ticket: Value = opened.json().await.unwrap();
        assert_eq!(ticket["status"], "new");
        assert!(ticket["next_due_at"].is_string(), "the response clock runs");
        let again = partner.post("/api/v1/tickets", json!({ "subject": "Pallet arrived damaged", "category": "order", "priority": "high", "body": "Two units are dented." }), Some("open-1")).await;
        assert_eq!(again.json::<Value>().await.unwrap()["id"], ticket["id"], "a retry opens nothing new");
        problem(vendor.post("/api/v1/tickets", json!({ "subject": "x", "category": "order", "priority": "low", "body": "x" }), None).await, 403, "forbidden").await;

        let id = ticket["id"].as_str().unwrap();
        let path = format!("/api/v1/tickets/{id}/messages");
        let note = vendor.post(&path, json!({ "body": "Check the carrier's claim first.", "internal": true }), None).await;
        assert_eq!(note.status(), 201);
        let reply = vendor.post(&path, json!({ "body": "Please send a photo of the label.", "then": "waiting_on_partner" }), None).await;
        assert_eq!(reply.status(), 201);
        assert_eq!(vendor.json(&format!("/api/v1/tickets/{id}")).await["status"], "waiting_on_partner");
        let seen_by_partner = partner.json(&path).await;
        assert_eq!(seen_by_partner.as_array().unwrap().len(), 2, "the first message and the reply, not the note");
        assert_eq!(vendor.json(&path).await.as_array().unwrap().len(), 3);
        problem(partner.post(&path, json!({ "body": "Sure", "then": "resolved" }), None).await, 409, "conflict").await;
        let empty = problem(partner.post(&path, json!({ "body": "   " }), None).await, 422, "invalid").await;
        assert_eq!(empty["errors"][0]["field"], "body", "an empty reply names its field");
        assert_eq!(partner.post(&path, json!({ "body": "Photo attached to the carrier claim." }), None).await.status(), 201);
        assert_eq!(partner.json(&format!("/api/v1/tickets/{id}")).await["status"], "waiting_on_vendor");

        // Pages of the list cover every ticket once.
        let brightline = partner_id(&app, "Brightline Distribution").await;
        let mut seen = Vec::new();
        let mut next = Some(String::new());
        while let Some(cursor) = next {
            let page = partner.json(&format!("/api/v1/tickets?limit=7&partner_id={brightline}&cursor={cursor}")).await;
            seen.extend(page["items"].as_array().unwrap().iter().map(|t| t["id"].as_str().unwrap().to_owned()));
            next = page["next_cursor"].as_str().map(str::to_owned);
        }
        let total = seen.len();
        seen.sort();
        seen.dedup();
        assert_eq!(seen.len(), total, "no ticket twice");
        let expected = portico::support::entity::ticket::Entity::find()
            .filter(portico::support::entity::ticket::Column::PartnerId.eq(brightline))
            .count(&app.pool).await.unwrap();
        assert_eq!(total as u64, expected);
        problem(partner.get("/api/v1/tickets?status=stuck").await, 422, "invalid").await;
    }
}

async fn a_token_over_its_rate_waits(backend: Backend) {
    let Some(app) = TestApp::spawn_configured(backend, |config| config.api_rate_limit = 3).await
    else {
        return;
    };
    let app = app.with_demo_program().await;
    let admin = app.signed_in(PARTNER_ADMIN).await;
    let api = Api {
        app: &app,
        token: make_token(&admin, "Busy", &["orders.read"]).await,
    };
    let calm = Api {
        app: &app,
        token: make_token(&admin, "Calm", &["orders.read"]).await,
    };
    for remaining in ["2", "1", "0"] {
        let response = api.get("/api/v1/me").await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["ratelimit-limit"], "3");
        assert_eq!(response.headers()["ratelimit-remaining"], remaining);
    }
    let refused = api.get("/api/v1/me").await;
    let wait: u64 = refused.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&wait), "wait {wait}");
    problem(refused, 429, "rate-limited").await;
    assert_eq!(
        calm.get("/api/v1/me").await.status(),
        200,
        "each token has its own allowance"
    );
}

/// Two `serve` nodes on one database: each grants a token half its limit, so a token spread
/// over both still gets no more than its limit; a node that stops gives its share back.
async fn nodes_share_a_tokens_limit(backend: Backend) {
    let Some(app) = TestApp::spawn_configured(backend, |config| config.api_rate_limit = 4).await
    else {
        return;
    };
    let app = app.with_demo_program().await;
    let admin = app.signed_in(PARTNER_ADMIN).await;
    let token = make_token(&admin, "Spread", &["orders.read"]).await;

    let mut config = app.db.config();
    config.api_rate_limit = 4;
    let second = portico::Portal::open(config).await.unwrap();
    let limits = second.state().api_limits.clone();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let node = tokio::spawn(second.serve(listener, async {
        let _ = stopped.await;
    }));
    // Each node counts the nodes as it starts, or at its next heartbeat when the database was
    // busy then (the first node started while the demo program was being written).
    for _ in 0..600 {
        if limits.share() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(limits.share(), 2, "the second node counted both");
    let at_second = || {
        app.client
            .get(format!("http://{address}/api/v1/me"))
            .bearer_auth(&token)
            .send()
    };
    for remaining in ["1", "0"] {
        let response = at_second().await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(
            response.headers()["ratelimit-limit"],
            "2",
            "half of 4 on each of 2 nodes"
        );
        assert_eq!(response.headers()["ratelimit-remaining"], remaining);
    }
    problem(at_second().await.unwrap(), 429, "rate-limited").await;

    // The second node stops: its row goes, and the next count finds one node.
    let _ = stop.send(());
    node.await.unwrap().unwrap();
    let live =
        portico::platform::nodes::beat(&app.pool, Uuid::now_v7(), portico::platform::time::now())
            .await
            .unwrap();
    assert_eq!(
        live, 2,
        "the first node and this count's own row; the stopped node left"
    );
}

#[tokio::test]
async fn nodes_share_sqlite() {
    nodes_share_a_tokens_limit(Backend::Sqlite).await;
}

#[tokio::test]
async fn nodes_share_postgres() {
    nodes_share_a_tokens_limit(Backend::Postgres).await;
}

#[tokio::test]
async fn rate_limit_sqlite() {
    a_token_over_its_rate_waits(Backend::Sqlite).await;
}

#[tokio::test]
async fn rate_limit_postgres() {
    a_token_over_its_rate_waits(Backend::Postgres).await;
}

on_both_databases! {
    async fn partners_systems_read_the_library_they_may_see(app) {
        let app = app.with_demo_program().await;
        let reseller = Api { app: &app, token: make_token(&app.signed_in(OTHER_PARTNER_ADMIN).await, "Website", &["assets.read"]).await };
        let page = reseller.json("/api/v1/assets?language=German&type=deck&limit=200").await;
        let items = page["items"].as_array().unwrap();
        assert!(!items.is_empty());
        for item in items {
            assert_eq!(item["asset_type"], "deck");
            assert!(item["languages"].as_array().unwrap().contains(&json!("German")));
            assert_eq!(item["standing"], "current");
        }
        // Cursor pages walk the whole library once.
        let mut seen = Vec::new();
        let mut next = Some(String::new());
        while let Some(cursor) = next {
            let page = reseller.json(&format!("/api/v1/assets?limit=7&cursor={cursor}")).await;
            seen.extend(page["items"].as_array().unwrap().iter().map(|i| i["id"].as_str().unwrap().to_owned()));
            next = page["next_cursor"].as_str().map(str::to_owned);
        }
        let unique: std::collections::BTreeSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len());
        let hidden = asset::Entity::find().filter(asset::Column::AudienceTypes.eq("distributor")).all(&app.pool).await.unwrap();
        assert!(hidden.iter().all(|h| !seen.contains(&h.id.to_string())), "nothing meant for distributors");
        problem(reseller.get(&format!("/api/v1/assets/{}", hidden[0].id)).await, 404, "not-found").await;
        problem(reseller.get(&format!("/api/v1/assets/{}/content", hidden[0].id)).await, 404, "not-found").await;

        // One asset with its history; its current file, whole or in part.
        let id = items[0]["id"].as_str().unwrap();
        let detail = reseller.json(&format!("/api/v1/assets/{id}")).await;
        let versions = detail["versions"].as_array().unwrap();
        assert_eq!(versions.len() as i64, detail["current_version"].as_i64().unwrap());
        assert_eq!(versions[0]["current"], true);
        let current_sha = versions[0]["sha256"].as_str().unwrap().to_owned();
        let file = reseller.get(&format!("/api/v1/assets/{id}/content")).await;
        assert_eq!(file.status(), 200);
        assert_eq!(file.headers()["etag"], format!("\"{current_sha}\"").as_str(), "the file's own ETag, not the buffered body's");
        let bytes = file.bytes().await.unwrap();
        let sha: String = <sha2::Sha256 as sha2::Digest>::digest(&bytes).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(sha, current_sha);
        let unchanged = reseller.request(reqwest::Method::GET, &format!("/api/v1/assets/{id}/content")).header("If-None-Match", format!("\"{current_sha}\"")).send().await.unwrap();
        assert_eq!(unchanged.status(), 304);
        let part = reseller.request(reqwest::Method::GET, &format!("/api/v1/assets/{id}/content")).header("Range", "bytes=0-9").send().await.unwrap();
        assert_eq!(part.status(), 206);
        assert_eq!(part.bytes().await.unwrap().as_ref(), &bytes[..10]);
        let without = Api { app: &app, token: make_token(&app.signed_in(OTHER_PARTNER_ADMIN).await, "Orders only", &["orders.read"]).await };
        problem(without.get("/api/v1/assets").await, 403, "forbidden").await;
    }
}

on_both_databases! {
    async fn partners_systems_place_submit_and_withdraw_orders(app) {
        let app = app.with_demo_program().await;
        let admin = app.signed_in(PARTNER_ADMIN).await;
        let api = Api { app: &app, token: make_token(&admin, "Shop", &["orders.read", "orders.write"]).await };
        let orders_before = portico::orders::entity::sales_order::Entity::find().count(&app.pool).await.unwrap();

        // Every fault at once, each named as the request names it; nothing is saved.
        let bad = json!({
            "customer_name": " ", "currency": "EUR",
            "lines": [{ "sku": "NW-SW-1000", "quantity": 0 }, { "sku": "NO-SUCH", "quantity": 1 }, { "sku": "NW-SW-1000", "quantity": 1, "discount_bp": -5 }],
        });
        let refused = problem(api.post("/api/v1/orders", bad, None).await, 422, "invalid").await;
        assert_eq!(refused["errors"][0]["field"], "lines[2].discount_bp", "{refused}");
        let bad = json!({
            "customer_name": " ", "currency": "EUR",
            "lines": [{ "sku": "NW-SW-1000", "quantity": 0 }, { "sku": "NO-SUCH", "quantity": 1 }],
        });
        let refused = problem(api.post("/api/v1/orders", bad, None).await, 422, "invalid").await;
        let fields: Vec<&str> = refused["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["customer_name", "lines[0].quantity", "lines[1].sku"], "{refused}");
        assert!(refused["errors"][2]["message"].as_str().unwrap().contains("no product with SKU NO-SUCH"));
        // Another partner's id is refused without saying whether it exists.
        let kessler = partner_id(&app, "Kessler IT Solutions").await;
        let foreign = json!({ "partner_id": kessler, "customer_name": "X", "currency": "EUR", "lines": [{ "sku": "NW-SW-1000", "quantity": 1 }] });
        let refused = problem(api.post("/api/v1/orders", foreign, None).await, 422, "invalid").await;
        assert_eq!(refused["errors"][0]["field"], "partner_id");
        assert!(!refused.to_string().contains("Kessler"));
        assert_eq!(portico::orders::entity::sales_order::Entity::find().count(&app.pool).await.unwrap(), orders_before, "nothing was saved");

        // A draft, priced from the partner's own list; a retry with the same key makes no second order.
        let draft = json!({
            "customer_name": "Hafen Hamburg", "partner_reference": "PO-77", "currency": "EUR",
            "lines": [{ "sku": "nw-sw-1000", "quantity": 2, "discount_bp": 250 }],
        });
        let created = api.post("/api/v1/orders", draft.clone(), Some("po-77")).await;
        assert_eq!(created.status(), 201);
        let created: Value = created.json().await.unwrap();
        assert_eq!(created["status"], "draft");
        assert_eq!(created["partner_reference"], "PO-77");
        assert_eq!(created["lines"][0]["sku"], "NW-SW-1000");
        assert_eq!(created["lines"][0]["discount_bp"], 250);
        let line = &created["lines"][0];
        let gross = line["unit_price_minor"].as_i64().unwrap() * 2;
        assert_eq!(line["total_minor"].as_i64().unwrap(), gross - gross * 250 / 10_000);
        assert_eq!(created["total_minor"], line["total_minor"]);
        let replayed = api.post("/api/v1/orders", draft, Some("po-77")).await;
        assert_eq!(replayed.headers()["idempotent-replayed"], "true");
        assert_eq!(portico::orders::entity::sales_order::Entity::find().count(&app.pool).await.unwrap(), orders_before + 1);

        // Submitted once; a second submit conflicts.
        let id = created["id"].as_str().unwrap();
        let submitted = api.post(&format!("/api/v1/orders/{id}/submit"), json!({}), None).await;
        assert_eq!(submitted.status(), 200);
        let submitted: Value = submitted.json().await.unwrap();
        assert_eq!(submitted["status"], "submitted");
        assert!(submitted["history"].as_array().unwrap().iter().any(|e| e["kind"] == "status" && e["to"] == "submitted"));
        problem(api.post(&format!("/api/v1/orders/{id}/submit"), json!({}), None).await, 409, "conflict").await;

        // Withdrawn with a reason, which the timeline keeps.
        let withdraw = format!("/api/v1/orders/{id}/withdraw");
        let refused = problem(api.post(&withdraw, json!({ "reason": "  " }), None).await, 422, "invalid").await;
        assert_eq!(refused["errors"][0]["field"], "reason");
        let withdrawn: Value = api.post(&withdraw, json!({ "reason": "Customer postponed" }), None).await.json().await.unwrap();
        assert_eq!(withdrawn["status"], "cancelled");
        assert!(withdrawn["history"].as_array().unwrap().iter().any(|e| e["reason"] == "Customer postponed"));
        problem(api.post(&withdraw, json!({ "reason": "again" }), None).await, 409, "conflict").await;

        // Placed at once; a reader's token may not, and another partner's token finds nothing.
        let placed = api.post("/api/v1/orders", json!({ "customer_name": "Werft Kiel", "currency": "EUR", "submit": true, "lines": [{ "sku": "NW-SW-1000", "quantity": 1 }] }), None).await;
        assert_eq!(placed.status(), 201);
        let placed: Value = placed.json().await.unwrap();
        assert_eq!(placed["status"], "submitted");
        let reader = Api { app: &app, token: make_token(&admin, "Reader", &["orders.read"]).await };
        problem(reader.post("/api/v1/orders", json!({ "customer_name": "X", "currency": "EUR", "lines": [] }), None).await, 403, "forbidden").await;
        let other = app.signed_in(OTHER_PARTNER_ADMIN).await;
        let outsider = Api { app: &app, token: make_token(&other, "Outsider", &["orders.read", "orders.write"]).await };
        let placed_id = placed["id"].as_str().unwrap();
        problem(outsider.post(&format!("/api/v1/orders/{placed_id}/withdraw"), json!({ "reason": "mine now" }), None).await, 404, "not-found").await;

        // Vendor staff name the partner.
        let vendor = app.signed_in(VENDOR_ADMIN).await;
        let staff = Api { app: &app, token: make_token(&vendor, "Desk", &["orders.read", "orders.write"]).await };
        let refused = problem(staff.post("/api/v1/orders", json!({ "customer_name": "X", "currency": "EUR", "lines": [{ "sku": "NW-SW-1000", "quantity": 1 }] }), None).await, 422, "invalid").await;
        assert_eq!(refused["errors"][0]["field"], "partner_id");
    }
}

on_both_databases! {
    async fn partners_systems_read_statements_and_dispute_a_line(app) {
        use portico::commissions::entity::{dispute, line, statement};
        let app = app.with_demo_program().await;
        let brightline = partner_id(&app, "Brightline Distribution").await;
        let admin = app.signed_in(PARTNER_ADMIN).await;
        let api = Api { app: &app, token: make_token(&admin, "Finance sync", &["commissions.read", "commissions.dispute"]).await };

        // Every statement in scope, over pages of two, none twice.
        let mut seen = Vec::new();
        let mut path = "/api/v1/statements?limit=2".to_owned();
        loop {
            let page = api.json(&path).await;
            for item in page["items"].as_array().unwrap() {
                seen.push(item["id"].as_str().unwrap().to_owned());
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/statements?limit=2&cursor={cursor}"),
                None => break,
            }
        }
        let partners = api.json("/api/v1/statements?limit=200").await;
        let own = statement::Entity::find().filter(statement::Column::PartnerId.eq(brightline)).count(&app.pool).await.unwrap();
        assert!(own > 2, "the demo gives Brightline a year of statements");
        let mut unique = seen.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), seen.len(), "no statement twice");
        assert_eq!(seen.len(), partners["items"].as_array().unwrap().len());
        assert!(seen.len() as u64 >= own);
        let paid = api.json("/api/v1/statements?status=paid&limit=200").await;
        assert!(paid["items"].as_array().unwrap().iter().all(|s| s["status"] == "paid"));
        problem(api.get("/api/v1/statements?status=lost").await, 422, "invalid").await;

        // A first revision's lines add up to its line total.
        let first = statement::Entity::find()
            .filter(statement::Column::PartnerId.eq(brightline))
            .filter(statement::Column::SupersedesId.is_null())
            .one(&app.pool).await.unwrap().unwrap();
        let detail = api.json(&format!("/api/v1/statements/{}", first.id)).await;
        let sum: i64 = detail["lines"].as_array().unwrap().iter().map(|l| l["amount_minor"].as_i64().unwrap()).sum();
        assert_eq!(sum, detail["lines_minor"].as_i64().unwrap());
        assert_eq!(detail["number"], first.number);
        assert!(detail["lines"].as_array().unwrap().iter().all(|l| !l["explanation"].as_str().unwrap().is_empty()));

        // Disputing a line: the message is required, the dispute opens once, finance reads it.
        let disputed: Vec<Uuid> = dispute::Entity::find().all(&app.pool).await.unwrap().into_iter().map(|d| d.line_id).collect();
        let target = line::Entity::find()
            .filter(line::Column::PartnerId.eq(brightline))
            .filter(line::Column::Id.is_not_in(disputed))
            .one(&app.pool).await.unwrap().unwrap();
        let one = api.json(&format!("/api/v1/commission-lines/{}", target.id)).await;
        assert_eq!(one["explanation"], target.explanation);
        assert!(one["dispute"].is_null());
        let path = format!("/api/v1/commission-lines/{}/dispute", target.id);
        let refused = problem(api.post(&path, json!({ "body": " " }), None).await, 422, "invalid").await;
        assert_eq!(refused["errors"][0]["field"], "body");
        let opened = api.post(&path, json!({ "body": "The rate should be 12%, we are Gold since March." }), Some("d-1")).await;
        assert_eq!(opened.status(), 201);
        let opened: Value = opened.json().await.unwrap();
        assert_eq!(opened["dispute"]["status"], "open");
        assert_eq!(opened["dispute"]["opened_by"], "Jana Weber (Brightline Distribution)");
        problem(api.post(&path, json!({ "body": "Again" }), None).await, 409, "conflict").await;
        let thread = api.json(&format!("/api/v1/commission-lines/{}/messages", target.id)).await;
        assert_eq!(thread.as_array().unwrap().len(), 1);
        assert_eq!(dispute::Entity::find().filter(dispute::Column::LineId.eq(target.id)).count(&app.pool).await.unwrap(), 1);

        // Vendor staff read it all but dispute nothing; a token without commissions.read reads nothing.
        let vendor = app.signed_in(VENDOR_ADMIN).await;
        let staff = Api { app: &app, token: make_token(&vendor, "Finance desk", &["commissions.read"]).await };
        assert_eq!(staff.json(&format!("/api/v1/commission-lines/{}", target.id)).await["dispute"]["status"], "open");
        problem(staff.post(&path, json!({ "body": "x" }), None).await, 403, "forbidden").await;
        let earnings = api.json("/api/v1/earnings").await;
        assert!(earnings.as_array().unwrap().iter().any(|e| e["currency"] == "EUR" && e["paid_minor"].as_i64().unwrap() > 0), "{earnings}");
        let orders_only = Api { app: &app, token: make_token(&admin, "Orders", &["orders.read"]).await };
        problem(orders_only.get("/api/v1/statements").await, 403, "forbidden").await;
        problem(orders_only.get("/api/v1/earnings").await, 403, "forbidden").await;
    }
}

on_both_databases! {
    async fn organisations_come_in_pages_by_name_within_scope(app) {
        let app = app.with_demo_program().await;
        let vendor = app.signed_in(VENDOR_ADMIN).await;
        let api = Api { app: &app, token: make_token(&vendor, "CRM", &["partners.read"]).await };
        let mut names = Vec::new();
        let mut path = "/api/v1/organisations?limit=3".to_owned();
        loop {
            let page = api.json(&path).await;
            for item in page["items"].as_array().unwrap() {
                names.push((item["name"].as_str().unwrap().to_owned(), item["id"].as_str().unwrap().to_owned()));
            }
            match page["next_cursor"].as_str() {
                Some(cursor) => path = format!("/api/v1/organisations?limit=3&cursor={cursor}"),
                None => break,
            }
        }
        let partners = organization::Entity::find().filter(organization::Column::Kind.eq("partner")).count(&app.pool).await.unwrap();
        assert_eq!(names.len() as u64, partners, "every partner once");
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted, "by name");
        let found = api.json("/api/v1/organisations?q=kessler").await;
        assert_eq!(found["items"].as_array().unwrap().len(), 1);
        assert_eq!(found["items"][0]["name"], "Kessler IT Solutions");
        let bad = problem(api.get(&format!("/api/v1/organisations?cursor={}", Uuid::now_v7())).await, 422, "invalid").await;
        assert_eq!(bad["errors"][0]["field"], "cursor");

        // A reseller's token sees its own organisation only; another partner's id is no cursor.
        let other = app.signed_in(OTHER_PARTNER_ADMIN).await;
        let theirs = Api { app: &app, token: make_token(&other, "Own", &["partners.read"]).await };
        let own = theirs.json("/api/v1/organisations").await;
        assert_eq!(own["items"].as_array().unwrap().len(), 1);
        assert_eq!(own["items"][0]["name"], "Kessler IT Solutions");
        let brightline = partner_id(&app, "Brightline Distribution").await;
        problem(theirs.get(&format!("/api/v1/organisations?cursor={brightline}")).await, 422, "invalid").await;
    }
}
