//! Discussions on orders and the notifications they and order changes send: internal notes
//! never reach partners, mentions and followers are told, e-mail arrives at a real (local) SMTP
//! server, and each person chooses e-mail at once, a daily digest, or none.

use portico::notify::entity::notification;
use portico::platform::jobs::{self, JobContext};
use portico::platform::mail::Mailer;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, TestSmtp, Visitor};

const SALES: &str = "lukas.brandt@brightline.example";
const OPERATIONS: &str = "olivia.grant@northwind.example";

async fn app_with_mail(backend: Backend) -> Option<(TestApp, TestSmtp)> {
    let smtp = TestSmtp::start().await;
    let app = TestApp::spawn_with_smtp(backend, &smtp).await?;
    Some((app.with_demo_program().await, smtp))
}

/// Places a one-line order as `visitor`; returns its id and number.
async fn place_order(app: &TestApp, visitor: &Visitor) -> (Uuid, String) {
    let response = visitor
        .post_form(
            "/orders/new",
            &[
                ("customer_name", "Klinikum Augsburg"),
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
    let id = Uuid::parse_str(
        location
            .trim_start_matches("/orders/")
            .split('?')
            .next()
            .unwrap(),
    )
    .unwrap();
    let order = portico::orders::entity::sales_order::Entity::find_by_id(id)
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap();
    (id, order.number)
}

async fn write(
    visitor: &Visitor,
    order: Uuid,
    body: &str,
    internal: bool,
    file: Option<(&str, &[u8])>,
) -> reqwest::Response {
    let mut fields = vec![("body", body)];
    if internal {
        fields.push(("internal", "yes"));
    }
    let (name, bytes) = file.unwrap_or(("", b""));
    visitor
        .post_file(
            &format!("/orders/{order}/messages"),
            &fields,
            (name, "text/plain", bytes.to_vec()),
        )
        .await
}

pub(crate) async fn notifications_of(app: &TestApp, email: &str) -> Vec<notification::Model> {
    let user = portico::identity::entity::user::Entity::find()
        .filter(portico::identity::entity::user::Column::Email.eq(email))
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap();
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user.id))
        .all(&app.pool)
        .await
        .unwrap()
}

async fn internal_notes_stay_internal_and_people_are_told(backend: Backend) {
    let Some((app, smtp)) = app_with_mail(backend).await else {
        return;
    };
    let sales = app.signed_in(SALES).await;
    let operations = app.signed_in(OPERATIONS).await;
    let (order, number) = place_order(&app, &sales).await;
    let path = format!("/orders/{order}");

    // A status change reaches the person who placed the order, in the app and by e-mail.
    operations.post_form(&format!("{path}/confirm"), &[]).await;
    let mails = smtp.wait_for(1).await;
    let mail = mails
        .iter()
        .find(|m| m.to.iter().any(|t| t.contains(SALES)))
        .expect("mail to the buyer");
    assert!(
        mail.data
            .contains(&format!("Order {number} is now confirmed")),
        "{}",
        mail.data
    );
    assert!(
        mail.link(&app.url("/orders/"))
            .is_some_and(|link| link.contains(&order.to_string()))
    );

    // An internal note, even one that names the partner's salesperson, never reaches them.
    let response = write(
        &operations,
        order,
        "Credit check still open for @lukas.brandt's customer; hold the date.",
        true,
        Some(("credit-check.txt", b"limit 40k")),
    )
    .await;
    assert_eq!(response.status(), 303);
    // A public message mentioning them does.
    write(
        &operations,
        order,
        "@lukas.brandt the order is confirmed; delivery next week.",
        false,
        None,
    )
    .await;
    let kinds: Vec<String> = notifications_of(&app, SALES)
        .await
        .into_iter()
        .map(|n| n.kind)
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| *k == "thread.mention").count(),
        1,
        "{kinds:?}"
    );
    assert!(
        !kinds.iter().any(|k| k == "thread.message"),
        "mentioned, not told twice: {kinds:?}"
    );
    // Vendor staff without the right to internal notes are not told of them either.
    write(
        &operations,
        order,
        "@ruth.adler internal: please look at the credit limit.",
        true,
        None,
    )
    .await;
    assert!(
        notifications_of(&app, "ruth.adler@northwind.example")
            .await
            .is_empty(),
        "the auditor reads no internal notes"
    );
    write(
        &operations,
        order,
        "@ruth.adler for the record: confirmed today.",
        false,
        None,
    )
    .await;
    assert_eq!(
        notifications_of(&app, "ruth.adler@northwind.example")
            .await
            .len(),
        1,
        "a public mention reaches her"
    );

    let partner_view = sales.get(&path).await.text().await.unwrap();
    assert!(partner_view.contains("the order is confirmed; delivery next week."));
    assert!(
        !partner_view.contains("Credit check still open"),
        "internal note shown to a partner"
    );
    assert!(!partner_view.contains("credit-check.txt"));
    assert!(!partner_view.contains("internal — not visible to partner"));
    assert!(
        !partner_view.contains("name=\"internal\""),
        "partners get no internal option"
    );
    let vendor_view = operations.get(&path).await.text().await.unwrap();
    assert!(vendor_view.contains("Credit check still open"));
    assert!(vendor_view.contains("internal — not visible to partner"));

    // The internal attachment does not exist for the partner; a forged internal note is refused.
    let attachment = vendor_view
        .split(&format!("/orders/{order}/attachments/"))
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    assert_eq!(
        operations
            .get(&format!("{path}/attachments/{attachment}"))
            .await
            .status(),
        200
    );
    assert_eq!(
        sales
            .get(&format!("{path}/attachments/{attachment}"))
            .await
            .status(),
        404
    );
    let forged = write(&sales, order, "I am vendor staff now", true, None).await;
    assert_eq!(forged.status(), 403);

    // The partner answers with a file; operations, who follow the order since they acted, hear of it.
    let reply = write(
        &sales,
        order,
        "Thanks! Delivery note for our warehouse attached.",
        false,
        Some(("warehouse.txt", b"Gate 4")),
    )
    .await;
    assert_eq!(reply.status(), 303);
    let told = notifications_of(&app, OPERATIONS).await;
    assert!(
        told.iter().any(|n| n.kind == "thread.message"
            && n.body
                .contains("Lukas Brandt (Brightline Distribution): Thanks!")),
        "{told:?}"
    );
    let vendor_view = operations.get(&path).await.text().await.unwrap();
    let file = vendor_view
        .split(&format!("/orders/{order}/attachments/"))
        .nth(2)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_owned();
    let download = operations.get(&format!("{path}/attachments/{file}")).await;
    assert_eq!(download.bytes().await.unwrap().as_ref(), b"Gate 4");

    // Empty messages are refused; other partners cannot write at all.
    let page = write(&sales, order, "   ", false, None).await;
    let page = sales
        .get(page.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("Write a message before sending."));
    let outsider = app.signed_in("george.hale@atlas-channel.example").await;
    assert_eq!(
        write(&outsider, order, "hello", false, None).await.status(),
        404
    );
    let messages = portico::platform::threads::entity::message::Entity::find()
        .count(&app.pool)
        .await
        .unwrap();
    let demo_and_ours = messages;
    assert!(demo_and_ours >= 3);
}

async fn each_person_chooses_how_they_hear(backend: Backend) {
    let Some((app, smtp)) = app_with_mail(backend).await else {
        return;
    };
    let sales = app.signed_in(SALES).await;
    let operations = app.signed_in(OPERATIONS).await;
    let response = sales
        .post_form(
            "/notifications/settings",
            &[
                ("order.status", "digest"),
                ("order.blocked", "off"),
                ("thread.message", "immediately"),
                ("thread.mention", "immediately"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let page = sales
        .get("/notifications/settings")
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"digest\" checked"));
    // A made-up choice changes nothing.
    sales
        .post_form("/notifications/settings", &[("order.status", "hourly")])
        .await;
    assert!(
        sales
            .get("/notifications/settings")
            .await
            .text()
            .await
            .unwrap()
            .contains("value=\"digest\" checked")
    );

    let (order, number) = place_order(&app, &sales).await;
    let path = format!("/orders/{order}");
    operations.post_form(&format!("{path}/confirm"), &[]).await;
    operations
        .post_form(
            &format!("{path}/block"),
            &[
                ("reason", "Address incomplete."),
                ("owner", "Brightline Distribution"),
            ],
        )
        .await;
    let told = notifications_of(&app, SALES).await;
    assert_eq!(told.len(), 2, "both in the inbox: {told:?}");
    // Neither goes out at once: one waits for the digest, the other is inbox-only.
    let queued = jobs::entity::Entity::find()
        .filter(jobs::entity::Column::Kind.eq("notify.mail"))
        .count(&app.pool)
        .await
        .unwrap();
    assert_eq!(queued, 0);

    // The bell counts them; the inbox lists them; opening one goes to the order and reads it.
    let home = sales.get("/").await.text().await.unwrap();
    assert!(home.contains("Notifications: 2 unread"));
    let inbox = sales.get("/notifications").await.text().await.unwrap();
    assert!(inbox.contains(&format!("Order {number} is now confirmed")));
    assert!(inbox.contains(&format!("Order {number} is blocked")));
    let blocked = told.iter().find(|n| n.kind == "order.blocked").unwrap();
    let open = sales.get(&format!("/notifications/{}", blocked.id)).await;
    assert_eq!(open.headers()["location"], path.as_str());
    // Nobody else opens it.
    assert_eq!(
        operations
            .get(&format!("/notifications/{}", blocked.id))
            .await
            .status(),
        404
    );

    // The daily digest sends the one waiting for it, once.
    let smtp_settings = portico::platform::config::SmtpSettings {
        url: format!("smtp://127.0.0.1:{}", smtp.port),
        from: "Northwind Partner Network <partners@northwind.example>".into(),
        server: format!("127.0.0.1:{}", smtp.port),
    };
    let context = JobContext {
        db: app.pool.clone(),
        mailer: Mailer::new(Some(&smtp_settings)).unwrap(),
        base_url: app.url(""),
    };
    portico::notify::jobs::send_digests(context.clone(), serde_json::json!({}))
        .await
        .unwrap();
    let mails = smtp.wait_for(1).await;
    assert_eq!(mails.len(), 1);
    assert!(
        mails[0].data.contains("Your daily digest: 1 update"),
        "{}",
        mails[0].data
    );
    assert!(
        mails[0]
            .data
            .contains(&format!("Order {number} is now confirmed"))
    );
    assert!(
        !mails[0].data.contains("is blocked"),
        "no e-mail for what they turned off"
    );
    portico::notify::jobs::send_digests(context, serde_json::json!({}))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(smtp.received().len(), 1, "a digest never repeats itself");
    let next = jobs::entity::Entity::find()
        .filter(jobs::entity::Column::Kind.eq("notify.digest"))
        .filter(jobs::entity::Column::State.eq("pending"))
        .count(&app.pool)
        .await
        .unwrap();
    assert_eq!(next, 1, "tomorrow's digest is queued, once");

    let response = sales.post_form("/notifications/read-all", &[]).await;
    assert_eq!(response.status(), 303);
    assert!(
        notifications_of(&app, SALES)
            .await
            .iter()
            .all(|n| n.read_at.is_some())
    );
}

#[tokio::test]
async fn internal_notes_and_mentions_sqlite() {
    internal_notes_stay_internal_and_people_are_told(Backend::Sqlite).await;
}

#[tokio::test]
async fn internal_notes_and_mentions_postgres() {
    internal_notes_stay_internal_and_people_are_told(Backend::Postgres).await;
}

#[tokio::test]
async fn notification_preferences_sqlite() {
    each_person_chooses_how_they_hear(Backend::Sqlite).await;
}

#[tokio::test]
async fn notification_preferences_postgres() {
    each_person_chooses_how_they_hear(Backend::Postgres).await;
}
