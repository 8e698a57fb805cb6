//! Outbound webhooks through real HTTP both ways: subscriptions made on their page, a receiver
//! in the test that checks every signature, retries after a 500, partners hearing only of their
//! own organisation and never of internal notes, automatic disabling after persistent failure,
//! and sending again by hand.

use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use hmac::{Hmac, Mac};
use portico::integrations::webhooks::entity::{delivery, subscription};
use portico::platform::jobs::entity as job;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::api::{make_token, place_order};
use crate::helpers::{TestApp, Visitor, on_both_databases};

const VENDOR_ADMIN: &str = "alex.morgan@northwind.example";
const OPERATIONS: &str = "olivia.grant@northwind.example";
const SALES: &str = "lukas.brandt@brightline.example";
const PARTNER_ADMIN: &str = "jana.weber@brightline.example";
const OTHER_PARTNER_ADMIN: &str = "anna.kessler@kessler-it.example";

#[derive(Clone, Debug)]
struct Received {
    path: String,
    headers: HeaderMap,
    body: String,
}

#[derive(Clone, Default)]
struct Inbox {
    received: Arc<Mutex<Vec<Received>>>,
    /// Statuses each path answers with, in turn; 200 once they run out. `/broken` always
    /// answers 500.
    answers: Arc<Mutex<HashMap<String, VecDeque<u16>>>>,
}

async fn receive(
    State(inbox): State<Inbox>,
    uri: axum::http::Uri,
    headers: HeaderMap,
    body: String,
) -> StatusCode {
    let path = uri.path().to_owned();
    let broken = path == "/broken";
    inbox.received.lock().unwrap().push(Received {
        path: path.clone(),
        headers,
        body,
    });
    if broken {
        return StatusCode::INTERNAL_SERVER_ERROR;
    }
    let status = inbox
        .answers
        .lock()
        .unwrap()
        .get_mut(&path)
        .and_then(VecDeque::pop_front)
        .unwrap_or(200);
    StatusCode::from_u16(status).unwrap()
}

/// A real HTTP receiver on its own port.
async fn receiver() -> (SocketAddr, Inbox) {
    let inbox = Inbox::default();
    let app = axum::Router::new()
        .route("/{hook}", post(receive))
        .with_state(inbox.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await });
    (address, inbox)
}

impl Inbox {
    fn at(&self, path: &str) -> Vec<Received> {
        self.received
            .lock()
            .unwrap()
            .iter()
            .filter(|r| r.path == path)
            .cloned()
            .collect()
    }

    /// Waits (up to 15 s) until `path` received `count` requests.
    async fn wait_for(&self, path: &str, count: usize) -> Vec<Received> {
        for _ in 0..150 {
            let got = self.at(path);
            if got.len() >= count {
                return got;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!(
            "{path} received {} requests, not {count}",
            self.at(path).len()
        );
    }
}

/// Checks the signature as a receiver would, and returns the event.
fn verified(received: &Received, secret: &str) -> Value {
    let header = received.headers["portico-signature"].to_str().unwrap();
    let mut parts = header.split(',');
    let timestamp: i64 = parts
        .next()
        .unwrap()
        .strip_prefix("t=")
        .unwrap()
        .parse()
        .unwrap();
    let signatures: Vec<&str> = parts.map(|p| p.strip_prefix("v1=").unwrap()).collect();
    let age = (portico::platform::time::now().unix_timestamp() - timestamp).abs();
    assert!(age < 300, "signed {age} s ago");
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{timestamp}.{}", received.body).as_bytes());
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert!(
        signatures.contains(&expected.as_str()),
        "the signature checks out: {header}"
    );
    let event: Value = serde_json::from_str(&received.body).unwrap();
    assert_eq!(
        received.headers["portico-event"],
        event["type"].as_str().unwrap()
    );
    event
}

/// Subscribes on the page as `visitor`; returns the subscription's id and secret.
async fn subscribe(visitor: &Visitor, url: &str, events: &[&str]) -> (Uuid, String) {
    let mut fields = vec![("url", url)];
    fields.extend(events.iter().map(|e| ("event", *e)));
    let response = visitor.post_form("/integrations/webhooks", &fields).await;
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let id = Uuid::parse_str(
        location
            .trim_start_matches("/integrations/webhooks/")
            .split('?')
            .next()
            .unwrap(),
    )
    .unwrap();
    let page = visitor.get(&location).await.text().await.unwrap();
    (id, secret_on(&page))
}

/// Time passes: the job of this delivery is due now.
async fn make_due(app: &TestApp, delivery_id: Uuid) {
    let pending = job::Entity::find()
        .filter(job::Column::State.eq("pending"))
        .all(&app.pool)
        .await
        .unwrap();
    for row in pending {
        if row.payload.contains(&delivery_id.to_string()) {
            job::Entity::update(job::ActiveModel {
                id: Set(row.id),
                run_at: Set(portico::platform::time::now()),
                ..Default::default()
            })
            .exec(&app.pool)
            .await
            .unwrap();
        }
    }
}

async fn deliveries_of(app: &TestApp, subscription_id: Uuid) -> Vec<delivery::Model> {
    delivery::Entity::find()
        .filter(delivery::Column::SubscriptionId.eq(subscription_id))
        .all(&app.pool)
        .await
        .unwrap()
}

async fn wait_for_state(app: &TestApp, delivery_id: Uuid, state: &str) -> delivery::Model {
    for _ in 0..150 {
        let found = delivery::Entity::find_by_id(delivery_id)
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap();
        if found.state == state {
            return found;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("delivery {delivery_id} never became {state}");
}

on_both_databases! {
    async fn signed_events_reach_the_right_subscribers_and_retry_after_a_500(app) {
        let app = app.with_demo_program().await;
        let (address, inbox) = receiver().await;
        let admin = app.signed_in(VENDOR_ADMIN).await;
        let all_events = ["order.status_changed", "order.blocked", "thread.message_created"];
        let (vendor_hook, vendor_secret) = subscribe(&admin, &format!("http://{address}/vendor"), &all_events).await;
        let partner_admin = app.signed_in(PARTNER_ADMIN).await;
        let (_, partner_secret) = subscribe(&partner_admin, &format!("http://{address}/brightline"), &all_events).await;
        let other = app.signed_in(OTHER_PARTNER_ADMIN).await;
        subscribe(&other, &format!("http://{address}/kessler"), &all_events).await;
        let refused = admin.post_form("/integrations/webhooks", &[("url", "http://erp.example.com/x"), ("event", "order.lost")]).await;
        let page = refused.text().await.unwrap();
        assert!(page.contains("use https://") && page.contains("order.lost is not an event"), "{page}");

        // The vendor's receiver answers 500 first: Portico tries again.
        inbox.answers.lock().unwrap().insert("/vendor".into(), VecDeque::from([500]));
        let order = place_order(&app.signed_in(SALES).await, "Stadtwerke Kiel").await;
        let confirmed = app.signed_in(OPERATIONS).await.post_form(&format!("/orders/{order}/confirm"), &[]).await;
        assert_eq!(confirmed.status(), 303);
        let first = inbox.wait_for("/vendor", 1).await;
        let event = verified(&first[0], &vendor_secret);
        assert_eq!(event["type"], "order.status_changed");
        assert_eq!(event["data"]["order"]["id"], order.to_string());
        assert_eq!(event["data"]["from"], "submitted");
        assert_eq!(event["data"]["to"], "confirmed");
        let delivery = deliveries_of(&app, vendor_hook).await.pop().unwrap();
        let retrying = wait_for_state(&app, delivery.id, "retrying").await;
        assert_eq!(retrying.last_status, Some(500));
        make_due(&app, delivery.id).await;
        let both = inbox.wait_for("/vendor", 2).await;
        assert_eq!(both[1].body, both[0].body, "the same event again");
        assert_eq!(both[1].headers["portico-delivery"], both[0].headers["portico-delivery"]);
        verified(&both[1], &vendor_secret);
        wait_for_state(&app, delivery.id, "delivered").await;
        let log = admin.get(&format!("/integrations/webhooks/{vendor_hook}")).await.text().await.unwrap();
        assert!(log.contains("HTTP 500") && log.contains(">delivered<"), "the log shows both attempts");

        // The partner hears of its own order; the other partner hears nothing.
        let theirs = inbox.wait_for("/brightline", 1).await;
        assert_eq!(verified(&theirs[0], &partner_secret)["data"]["order"]["id"], order.to_string());

        // An internal note goes to the vendor only; a public message to both.
        let everything: Vec<&str> = portico::platform::scope::Permission::ALL.iter().map(|p| p.key()).collect();
        let token = make_token(&admin, "Notes", &everything).await;
        for (body, internal) in [("Credit check pending", true), ("Ships Thursday", false)] {
            let posted = app.client.post(app.url(&format!("/api/v1/orders/{order}/messages")))
                .bearer_auth(&token)
                .json(&json!({ "body": body, "internal": internal }))
                .send().await.unwrap();
            assert_eq!(posted.status(), 201);
        }
        let vendor_heard = inbox.wait_for("/vendor", 4).await;
        let bodies: Vec<String> = vendor_heard[2..].iter().map(|r| verified(r, &vendor_secret)["data"]["message"]["body"].as_str().unwrap().to_owned()).collect();
        assert_eq!(bodies, ["Credit check pending", "Ships Thursday"]);
        let partner_heard = inbox.wait_for("/brightline", 2).await;
        tokio::time::sleep(Duration::from_millis(1500)).await;
        let partner_heard_now = inbox.at("/brightline");
        assert_eq!(partner_heard_now.len(), 2, "no internal note for the partner");
        assert_eq!(verified(&partner_heard[1], &partner_secret)["data"]["message"]["body"], "Ships Thursday");
        assert!(inbox.at("/kessler").is_empty(), "another partner hears nothing of Brightline");
    }

    async fn a_persistently_failing_subscription_is_disabled_and_can_be_sent_again(app) {
        let app = app.with_demo_program().await;
        let (address, inbox) = receiver().await;
        let admin = app.signed_in(VENDOR_ADMIN).await;
        let (hook, secret) = subscribe(&admin, &format!("http://{address}/broken"), &["order.blocked"]).await;
        let order = place_order(&app.signed_in(SALES).await, "Stadtwerke Kiel").await;
        let blocked = app.signed_in(OPERATIONS).await
            .post_form(&format!("/orders/{order}/block"), &[("reason", "Credit limit reached"), ("owner", "Brightline finance")])
            .await;
        assert_eq!(blocked.status(), 303);
        inbox.wait_for("/broken", 1).await;
        let delivery = deliveries_of(&app, hook).await.pop().unwrap();
        wait_for_state(&app, delivery.id, "retrying").await;
        // Seven failed attempts later (each an hour's backoff shortened here), the last one.
        delivery::Entity::update(delivery::ActiveModel {
            id: Set(delivery.id),
            attempts: Set(portico::platform::jobs::MAX_ATTEMPTS - 1),
            ..Default::default()
        })
        .exec(&app.pool)
        .await
        .unwrap();
        make_due(&app, delivery.id).await;
        inbox.wait_for("/broken", 2).await;
        let failed = wait_for_state(&app, delivery.id, "failed").await;
        assert_eq!(failed.last_status, Some(500));
        let stopped = subscription::Entity::find_by_id(hook).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(stopped.state, "disabled");
        assert!(stopped.disabled_reason.unwrap().contains("failed all 8 attempts"));
        let inbox_page = admin.get("/notifications").await.text().await.unwrap();
        assert!(inbox_page.contains("was disabled"), "the admins are told");
        let status = admin.get("/integrations").await.text().await.unwrap();
        assert!(status.contains("Credit limit") || status.contains("order.blocked"), "the status page lists the failure");

        // Fixed on the receiver's side: enable, and send the missed event again.
        let enabled = admin.post_form(&format!("/integrations/webhooks/{hook}/enable"), &[]).await;
        assert_eq!(enabled.status(), 303);
        subscription::Entity::update(subscription::ActiveModel {
            id: Set(hook),
            url: Set(format!("http://{address}/fixed")),
            ..Default::default()
        })
        .exec(&app.pool)
        .await
        .unwrap();
        let again = admin.post_form(&format!("/integrations/webhooks/{hook}/deliveries/{}/redeliver", delivery.id), &[]).await;
        assert_eq!(again.status(), 303);
        let fixed = inbox.wait_for("/fixed", 1).await;
        let event = verified(&fixed[0], &secret);
        assert_eq!(event["type"], "order.blocked");
        assert_eq!(event["data"]["reason"], "Credit limit reached");
        wait_for_state(&app, delivery.id, "delivered").await;

        // Another partner's administrator cannot see or touch the vendor's subscription.
        let other = app.signed_in(OTHER_PARTNER_ADMIN).await;
        assert_eq!(other.get(&format!("/integrations/webhooks/{hook}")).await.status(), 404);
        assert_eq!(other.post_form(&format!("/integrations/webhooks/{hook}/disable"), &[]).await.status(), 404);
    }
}

fn secret_on(page: &str) -> String {
    let start = page.find("class=\"secret\">").expect("the secret is shown") + 15;
    page[start..].split('<').next().unwrap().to_owned()
}

on_both_databases! {
    async fn a_rotated_secret_signs_beside_the_new_one_until_its_overlap_ends(app) {
        let app = app.with_demo_program().await;
        let (address, inbox) = receiver().await;
        let partner_admin = app.signed_in(PARTNER_ADMIN).await;
        let (hook, old_secret) = subscribe(&partner_admin, &format!("http://{address}/rotating"), &["order.created"]).await;
        let detail = format!("/integrations/webhooks/{hook}");
        let rotated = partner_admin.post_form(&format!("{detail}/rotate"), &[]).await;
        assert_eq!(rotated.status(), 303);
        // A second rotation within the overlap (a double click) keeps the original secret.
        assert_eq!(partner_admin.post_form(&format!("{detail}/rotate"), &[]).await.status(), 303);
        let page = partner_admin.get(&detail).await.text().await.unwrap();
        let new_secret = secret_on(&page);
        assert!(new_secret.starts_with("whsec_") && new_secret != old_secret);
        assert!(page.contains("id=\"previous-secret\""), "the page says the old secret still signs");

        // An order placed now is signed with both secrets: receivers on either accept it.
        let order = place_order(&app.signed_in(SALES).await, "Stadtwerke Kiel").await;
        let first = inbox.wait_for("/rotating", 1).await;
        let event = verified(&first[0], &new_secret);
        verified(&first[0], &old_secret);
        assert_eq!(event["type"], "order.created");
        assert_eq!(event["data"]["order"]["id"], order.to_string());
        assert_eq!(event["data"]["status"], "submitted");

        // Once the overlap is over, only the new secret signs.
        subscription::Entity::update(subscription::ActiveModel {
            id: Set(hook),
            previous_secret_until: Set(Some(portico::platform::time::now() - time::Duration::minutes(1))),
            ..Default::default()
        })
        .exec(&app.pool)
        .await
        .unwrap();
        assert!(!partner_admin.get(&detail).await.text().await.unwrap().contains("id=\"previous-secret\""));
        place_order(&app.signed_in(SALES).await, "Hafen Kiel").await;
        let both = inbox.wait_for("/rotating", 2).await;
        let header = both[1].headers["portico-signature"].to_str().unwrap();
        assert_eq!(header.matches("v1=").count(), 1, "{header}");
        verified(&both[1], &new_secret);

        // Another partner's admin can neither see nor rotate it.
        let other = app.signed_in(OTHER_PARTNER_ADMIN).await;
        assert_eq!(other.post_form(&format!("{detail}/rotate"), &[]).await.status(), 404);
        assert_eq!(secret_on(&partner_admin.get(&detail).await.text().await.unwrap()), new_secret);
    }
}
