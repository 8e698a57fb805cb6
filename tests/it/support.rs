//! Support: a partner opens a request from an order and sees that it was received, who owns it
//! and when to expect an answer; support answers, waits on the partner (the resolution clock
//! pauses), resolves; the partner rates and reopens within the window. Internal notes and
//! escalations never reach partners; another partner's request does not exist.

use portico::identity::entity::user;
use portico::notify::entity::notification;
use portico::orders::entity::sales_order;
use portico::platform::sla::entity::{clock, event as sla_event};
use portico::support::entity::{event, ticket};
use sea_orm::{
    ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter,
};
use uuid::Uuid;

use crate::helpers::{Backend, TestApp, TestSmtp, Visitor, on_both_databases};

const KESSLER_ADMIN: &str = "anna.kessler@kessler-it.example";
const BRIGHTLINE_ADMIN: &str = "jana.weber@brightline.example";
const BRIGHTLINE_READ_ONLY: &str = "felix.wagner@brightline.example";
const LEAD: &str = "sam.okafor@northwind.example";
const AGENT: &str = "leon.marsh@northwind.example";
const MANAGER: &str = "priya.shah@northwind.example";
const OUTSIDER: &str = "george.hale@atlas-channel.example";

async fn user_id(app: &TestApp, email: &str) -> Uuid {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn an_order_of(app: &TestApp, partner: &str) -> sales_order::Model {
    let partner = Uuid::parse_str(&crate::tenancy::id_of(app, partner).await).unwrap();
    sales_order::Entity::find()
        .filter(sales_order::Column::PartnerId.eq(partner))
        .one(&app.pool)
        .await
        .unwrap()
        .expect("the demo partner has orders")
}

async fn tickets(app: &TestApp) -> u64 {
    ticket::Entity::find().count(&app.pool).await.unwrap()
}

/// Follows a redirect and returns the page it leads to.
async fn follow(visitor: &Visitor, response: reqwest::Response) -> (String, String) {
    assert_eq!(response.status(), 303, "expected a redirect");
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    let path = location.split('?').next().unwrap().to_owned();
    let page = visitor.get(&location).await.text().await.unwrap();
    (path, page)
}

async fn opened_by(app: &TestApp, email: &str, fields: &[(&str, &str)]) -> ticket::Model {
    let partner = app.signed_in(email).await;
    let before = tickets(app).await;
    let response = partner.post_form("/support", fields).await;
    let (path, page) = follow(&partner, response).await;
    assert!(page.contains("received"), "{page}");
    assert_eq!(tickets(app).await, before + 1);
    let id = Uuid::parse_str(path.trim_start_matches("/support/")).unwrap();
    ticket::Entity::find_by_id(id)
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap()
}

async fn reply(visitor: &Visitor, ticket: &ticket::Model, fields: &[(&str, &str)]) -> String {
    let response = visitor
        .post_file(
            &format!("/support/{}/messages", ticket.id),
            fields,
            ("", "text/plain", Vec::new()),
        )
        .await;
    follow(visitor, response).await.1
}

async fn clock_of(app: &TestApp, ticket: &ticket::Model, metric: &str) -> clock::Model {
    clock::Entity::find()
        .filter(clock::Column::ObjectId.eq(ticket.id))
        .filter(clock::Column::Metric.eq(metric))
        .one(&app.pool)
        .await
        .unwrap()
        .expect("the ticket has this clock")
}

async fn notified(app: &TestApp, email: &str, containing: &str) -> bool {
    notification::Entity::find()
        .filter(notification::Column::UserId.eq(user_id(app, email).await))
        .all(&app.pool)
        .await
        .unwrap()
        .iter()
        .any(|n| n.title.contains(containing) || n.body.contains(containing))
}

on_both_databases! {
    async fn a_request_has_an_owner_a_timer_and_a_conversation(app) {
        let app = app.with_demo_program().await;
        let order = an_order_of(&app, "Kessler IT Solutions").await;
        let partner = app.signed_in(KESSLER_ADMIN).await;
        let form = partner.get(&format!("/support/new?about=order:{}", order.id)).await;
        assert_eq!(form.status(), 200);
        let form = form.text().await.unwrap();
        assert!(form.contains(&format!("About Order {}", order.number)), "{form}");
        assert!(form.contains("support answers within"), "the form says what to expect: {form}");

        let ticket = opened_by(&app, KESSLER_ADMIN, &[
            ("subject", "Delivery date keeps moving"),
            ("category", "order"),
            ("priority", "high"),
            ("body", "Our customer installs next week; when does it ship?"),
            ("about", &format!("order:{}", order.id)),
        ]).await;
        assert_eq!(ticket.status, "new");
        assert_eq!(ticket.object_id, Some(order.id));
        let page = partner.get(&format!("/support/{}", ticket.id)).await.text().await.unwrap();
        assert!(page.contains("Received"), "{page}");
        assert!(page.contains("Not yet assigned: the Orders and deals team picks it up"), "{page}");
        assert!(page.contains("Response due in"), "{page}");
        assert!(page.contains("(business hours)"), "{page}");
        assert!(page.contains(&format!("Order {}", order.number)), "{page}");
        assert!(notified(&app, LEAD, &ticket.number).await, "the queue lead hears of a new request");
        // The order's page offers the same.
        let order_page = partner.get(&format!("/orders/{}", order.id)).await.text().await.unwrap();
        assert!(order_page.contains(&format!("/support/new?about=order:{}", order.id)));

        // Support gives it to an agent, who answers and waits on the partner.
        let lead = app.signed_in(LEAD).await;
        let agent_id = user_id(&app, AGENT).await.to_string();
        let assigned = lead.post_form(&format!("/support/{}/assign", ticket.id), &[("owner", &agent_id), ("current", "")]).await;
        let (_, page) = follow(&lead, assigned).await;
        assert!(page.contains("Leon Marsh now owns"), "{page}");
        assert!(notified(&app, AGENT, &ticket.number).await, "the new owner is told");
        let stale = lead.post_form(&format!("/support/{}/assign", ticket.id), &[("owner", ""), ("current", "")]).await;
        let (_, page) = follow(&lead, stale).await;
        assert!(page.contains("Someone changed this request"), "a stale assignment is refused: {page}");

        let agent = app.signed_in(AGENT).await;
        let page = reply(&agent, &ticket, &[("body", "Which address should it ship to?"), ("then", "waiting_on_partner")]).await;
        assert!(page.contains("Waiting on partner"), "{page}");
        let first = clock_of(&app, &ticket, "first_response").await;
        assert_eq!(first.state, "stopped");
        let met = sla_event::Entity::find().filter(sla_event::Column::ClockId.eq(first.id)).filter(sla_event::Column::Kind.eq("met")).count(&app.pool).await.unwrap();
        assert_eq!(met, 1, "answered within the target");
        assert_eq!(clock_of(&app, &ticket, "resolution").await.state, "paused");
        reply(&agent, &ticket, &[("body", "Margin on this customer is thin; check with @priya.shah before promising.", ), ("internal", "yes")]).await;

        let page = partner.get(&format!("/support/{}", ticket.id)).await.text().await.unwrap();
        assert!(page.contains("Waiting on you"), "{page}");
        assert!(page.contains("Owner</dt><dd id=\"owner\"><strong>Leon Marsh</strong>"), "{page}");
        assert!(page.contains("Resolution clock paused"), "{page}");
        assert!(page.contains("Which address should it ship to?"));
        assert!(!page.contains("Margin on this customer"), "internal notes never reach the partner");
        assert!(!notified(&app, KESSLER_ADMIN, "Margin").await, "nor their inbox");

        // The partner answers: back with support, the clock runs again.
        let page = reply(&partner, &ticket, &[("body", "Ship it to our warehouse in Köln, please.")]).await;
        assert!(page.contains("Waiting on support"), "{page}");
        assert_eq!(clock_of(&app, &ticket, "resolution").await.state, "running");
        assert!(notified(&app, AGENT, "Köln").await, "the owner hears of the answer");

        // A partner may neither resolve nor assign.
        let refused = partner.post_form(&format!("/support/{}/status", ticket.id), &[("to", "resolved"), ("note", "done"), ("current", "waiting_on_vendor")]).await;
        assert_eq!(refused.status(), 403);
        let refused = partner.post_form(&format!("/support/{}/assign", ticket.id), &[("owner", ""), ("current", &agent_id)]).await;
        assert_eq!(refused.status(), 403);
        // Resolving says how.
        let unsaid = agent.post_form(&format!("/support/{}/status", ticket.id), &[("to", "resolved"), ("note", ""), ("current", "waiting_on_vendor")]).await;
        let (_, page) = follow(&agent, unsaid).await;
        assert!(page.contains("Say how the request was resolved"), "{page}");
        let resolved = agent.post_form(&format!("/support/{}/status", ticket.id), &[("to", "resolved"), ("note", "Ships Thursday to Köln."), ("current", "waiting_on_vendor")]).await;
        follow(&agent, resolved).await;
        let resolution = clock_of(&app, &ticket, "resolution").await;
        assert_eq!(resolution.state, "stopped");
        let pending_checks = portico::platform::jobs::entity::Entity::find()
            .filter(portico::platform::jobs::entity::Column::State.eq("pending"))
            .filter(portico::platform::jobs::entity::Column::UniqueKey.starts_with(format!("sla:{}:", resolution.id)))
            .count(&app.pool)
            .await
            .unwrap();
        assert_eq!(pending_checks, 0, "a stopped clock has no checks left to run");
        assert!(notified(&app, KESSLER_ADMIN, "is resolved").await);

        let rated = partner.post_form(&format!("/support/{}/rate", ticket.id), &[("rating", "6"), ("comment", "")]).await;
        let (_, page) = follow(&partner, rated).await;
        assert!(page.contains("choose from 1 (poor) to 5"), "{page}");
        let rated = partner.post_form(&format!("/support/{}/rate", ticket.id), &[("rating", "4"), ("comment", "Quick, thanks")]).await;
        let (_, page) = follow(&partner, rated).await;
        assert!(page.contains("4 of 5"), "{page}");

        let reopened = partner.post_form(&format!("/support/{}/reopen", ticket.id), &[("reason", "It shipped to the old address.")]).await;
        let (_, page) = follow(&partner, reopened).await;
        assert!(page.contains("Waiting on support"), "{page}");
        assert!(page.contains("Reopened"), "{page}");
        let now = ticket::Entity::find_by_id(ticket.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(now.reopened, 1);
        assert_eq!(clock_of(&app, &ticket, "resolution").await.state, "running");

        // A file in the conversation: support downloads it; nobody outside does.
        let with_file = partner
            .post_file(
                &format!("/support/{}/messages", ticket.id),
                &[("body", "The delivery note, as promised.")],
                ("lieferschein.txt", "text/plain", b"Lieferschein 4711".to_vec()),
            )
            .await;
        let (_, page) = follow(&partner, with_file).await;
        let attachment = page
            .split(&format!("/support/{}/attachments/", ticket.id))
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .expect("the message links its file")
            .to_owned();
        let download = agent.get(&format!("/support/{}/attachments/{attachment}", ticket.id)).await;
        assert_eq!(download.status(), 200);
        assert_eq!(download.text().await.unwrap(), "Lieferschein 4711");

        // Another partner: the request does not exist.
        let outsider = app.signed_in(OUTSIDER).await;
        assert_eq!(outsider.get(&format!("/support/{}/attachments/{attachment}", ticket.id)).await.status(), 404);
        let response = outsider.get(&format!("/support/{}", ticket.id)).await;
        assert_eq!(response.status(), 404);
        assert!(!response.text().await.unwrap().contains("Köln"));
        let list = outsider.get("/support?view=all").await.text().await.unwrap();
        assert!(!list.contains(&ticket.number));
    }

    async fn a_request_missing_its_subject_is_not_sent(app) {
        let app = app.with_demo_program().await;
        let partner = app.signed_in(KESSLER_ADMIN).await;
        let before = tickets(&app).await;
        let response = partner.post_form("/support", &[
            ("subject", " "),
            ("category", "order"),
            ("priority", "sometime"),
            ("body", "Hello"),
        ]).await;
        assert_eq!(response.status(), 422);
        let page = response.text().await.unwrap();
        assert!(page.contains("Subject: say in a few words"), "{page}");
        assert!(page.contains("Priority: choose how urgent"), "{page}");
        assert!(page.contains(">Hello</textarea>"), "the form keeps what was typed");
        assert_eq!(tickets(&app).await, before, "nothing is saved");
        // A link to an order the partner may not read is a 404, like a missing one.
        let foreign = an_order_of(&app, "Atlas Channel Partners").await;
        let response = partner.get(&format!("/support/new?about=order:{}", foreign.id)).await;
        assert_eq!(response.status(), 404);
        // A parent organisation reads its sub-partners' orders but asks only about its own.
        let sub_partners_order = an_order_of(&app, "Kessler IT Solutions").await;
        let distributor = app.signed_in(BRIGHTLINE_ADMIN).await;
        assert_eq!(distributor.get(&format!("/orders/{}", sub_partners_order.id)).await.status(), 200);
        assert_eq!(distributor.get(&format!("/support/new?about=order:{}", sub_partners_order.id)).await.status(), 404);
        // Read-only users read requests but open none.
        let reader = app.signed_in(BRIGHTLINE_READ_ONLY).await;
        assert_eq!(reader.get("/support").await.status(), 200);
        assert_eq!(reader.get("/support/new").await.status(), 403);
    }

    async fn a_breach_escalates_to_the_queue_lead_once(app) {
        let app = app.with_demo_program().await;
        let ticket = opened_by(&app, BRIGHTLINE_ADMIN, &[
            ("subject", "Access point keeps rebooting"),
            ("category", "technical"),
            ("priority", "urgent"),
            ("body", "Since this morning, every ten minutes."),
        ]).await;
        assert!(notified(&app, MANAGER, &ticket.number).await, "a Platinum partner's account manager hears of it");
        let partner = app.signed_in(BRIGHTLINE_ADMIN).await;
        let page = partner.get(&format!("/support/{}", ticket.id)).await.text().await.unwrap();
        assert!(page.contains("Account manager</dt><dd>Priya Shah"), "{page}");
        let home = partner.get("/").await.text().await.unwrap();
        assert!(home.contains("Your account manager: <strong>Priya Shah</strong>"), "{home}");
        let gold_without_manager = app.signed_in(KESSLER_ADMIN).await.get("/").await.text().await.unwrap();
        assert!(gold_without_manager.contains("Ask support anything in the portal"), "{gold_without_manager}");
        let first = clock_of(&app, &ticket, "first_response").await;
        assert_eq!(first.target_minutes, 30, "urgent for Platinum: 30 business minutes");

        // Time passes beyond the target: the clock ran since long before.
        let long_ago = portico::platform::time::now() - time::Duration::days(10);
        clock::ActiveModel {
            id: Set(first.id),
            running_since: Set(Some(long_ago)),
            due_at: Set(Some(long_ago + time::Duration::hours(1))),
            warn_at: Set(Some(long_ago)),
            ..Default::default()
        }
        .update(&app.pool)
        .await
        .unwrap();
        let context = portico::platform::jobs::JobContext {
            db: app.pool.clone(),
            mailer: portico::platform::mail::Mailer::new(None).unwrap(),
            base_url: app.url(""),
        };
        let payload = serde_json::json!({ "clock": first.id });
        for _ in 0..3 {
            portico::support::jobs::check_clock(context.clone(), payload.clone()).await.unwrap();
        }
        let breaches = sla_event::Entity::find().filter(sla_event::Column::ClockId.eq(first.id)).filter(sla_event::Column::Kind.eq("breached")).count(&app.pool).await.unwrap();
        assert_eq!(breaches, 1, "a breach is recorded once, however often the job runs");
        let escalations = event::Entity::find().filter(event::Column::TicketId.eq(ticket.id)).filter(event::Column::Kind.eq("escalated")).all(&app.pool).await.unwrap();
        assert_eq!(escalations.len(), 1);
        assert!(escalations[0].internal);
        assert!(notified(&app, LEAD, "first response target missed").await, "the queue lead is told");

        let page = partner.get(&format!("/support/{}", ticket.id)).await.text().await.unwrap();
        assert!(page.contains("Response overdue by"), "{page}");
        assert!(!page.contains("Escalated"), "escalations are internal: {page}");
        let lead = app.signed_in(LEAD).await;
        let page = lead.get(&format!("/support/{}", ticket.id)).await.text().await.unwrap();
        assert!(page.contains("Escalated to the queue lead"), "{page}");
        let breaching = lead.get("/support?view=breaching").await.text().await.unwrap();
        assert!(breaching.contains(&ticket.number), "{breaching}");
        let mine = lead.get("/support?view=mine").await.text().await.unwrap();
        assert!(!mine.contains(&ticket.number), "nobody owns it yet");
    }

    async fn the_desk_assigns_in_bulk_merges_duplicates_and_reuses_answers(app) {
        let app = app.with_demo_program().await;
        let ask = |subject: &'static str| [
            ("subject", subject),
            ("category", "technical"),
            ("priority", "normal"),
            ("body", "The controller does not see the new access points."),
        ];
        let first = opened_by(&app, KESSLER_ADMIN, &ask("Access points not adopted")).await;
        let second = opened_by(&app, KESSLER_ADMIN, &ask("Controller misses new APs")).await;
        let lead = app.signed_in(LEAD).await;
        let leon = user_id(&app, AGENT).await.to_string();
        // Each ticked row carries the owner it showed: nobody yet.
        let (first_id, second_id) = (format!("{}:", first.id), format!("{}:", second.id));
        let assigned = lead.post_form("/support/assign", &[
            ("ticket", first_id.as_str()),
            ("ticket", second_id.as_str()),
            ("owner", leon.as_str()),
            ("back", "/support?view=unassigned"),
        ]).await;
        let (path, page) = follow(&lead, assigned).await;
        assert_eq!(path, "/support");
        assert!(page.contains("Assigned 2 requests to Leon Marsh."), "{page}");
        for ticket in [&first, &second] {
            let now = ticket::Entity::find_by_id(ticket.id).one(&app.pool).await.unwrap().unwrap();
            assert_eq!(now.owner_label.as_deref(), Some("Leon Marsh"));
        }
        let partner = app.signed_in(KESSLER_ADMIN).await;
        assert_eq!(partner.post_form("/support/assign", &[("ticket", first_id.as_str()), ("owner", "")]).await.status(), 403);
        // A list shown before the assignment (no owner yet) changes nothing now, nor does an
        // id that is not a request.
        let stale = lead.post_form("/support/assign", &[
            ("ticket", first_id.as_str()),
            ("ticket", "not-a-ticket:"),
            ("owner", ""),
        ]).await;
        let (_, page) = follow(&lead, stale).await;
        assert!(page.contains("Assigned 0 requests to the queue. 2 left as they were"), "{page}");

        // Canned replies: refused without a title, then offered in the reply box.
        let refused = lead.post_form("/support/replies", &[("title", ""), ("body", "Please send the controller's log.")]).await;
        assert_eq!(refused.status(), 422);
        assert!(refused.text().await.unwrap().contains("Title: name the reply"));
        let added = lead.post_form("/support/replies", &[("title", "Ask for the log"), ("body", "Please send the controller's log from Settings > Support.")]).await;
        let (_, page) = follow(&lead, added).await;
        assert!(page.contains("Ask for the log"), "{page}");
        let ticket_page = lead.get(&format!("/support/{}", first.id)).await.text().await.unwrap();
        let reply_link = ticket_page
            .split("?reply=")
            .nth(1)
            .and_then(|rest| rest.split('#').next())
            .expect("the ticket offers the canned reply")
            .to_owned();
        let drafted = lead.get(&format!("/support/{}?reply={reply_link}", first.id)).await.text().await.unwrap();
        assert!(drafted.contains("Please send the controller&#39;s log from Settings &#62; Support.</textarea>"), "{drafted}");
        assert_eq!(partner.get("/support/replies").await.status(), 403);

        // The second request is a duplicate: merged into the first.
        let foreign = opened_by(&app, OUTSIDER, &ask("Access points offline")).await;
        let wrong = lead.post_form(&format!("/support/{}/merge", second.id), &[("into", &foreign.number)]).await;
        let (_, page) = follow(&lead, wrong).await;
        assert!(page.contains("choose another request of the same partner"), "{page}");
        let merged = lead.post_form(&format!("/support/{}/merge", second.id), &[("into", &first.number.to_lowercase())]).await;
        let (path, page) = follow(&lead, merged).await;
        assert_eq!(path, format!("/support/{}", first.id));
        assert!(page.contains(&format!("{} merged into {}", second.number, first.number)), "{page}");
        let duplicate = ticket::Entity::find_by_id(second.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(duplicate.status, "closed");
        assert_eq!(duplicate.merged_into_id, Some(first.id));
        let page = partner.get(&format!("/support/{}", second.id)).await.text().await.unwrap();
        assert!(page.contains(&format!("This request was merged into <a href=\"/support/{}\">{}</a>", first.id, first.number)), "{page}");
        let page = partner.get(&format!("/support/{}", first.id)).await.text().await.unwrap();
        assert!(page.contains(&second.number), "the request lists what was merged into it");
        let reopened = partner.post_form(&format!("/support/{}/reopen", second.id), &[("reason", "Still broken")]).await;
        let (_, page) = follow(&partner, reopened).await;
        assert!(page.contains("merged into another one; write there instead"), "{page}");
        let still = ticket::Entity::find_by_id(second.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(still.status, "closed", "a merged duplicate is never reopened");
        // It never had an answer: its response clock is cancelled, not "met".
        assert_eq!(clock_of(&app, &second, "first_response").await.state, "cancelled");
        // A closed request is not resolved again behind the partner's back.
        let closed_again = lead.post_form(&format!("/support/{}/status", second.id), &[("to", "resolved"), ("note", "x"), ("current", "closed")]).await;
        let (_, page) = follow(&lead, closed_again).await;
        assert!(page.contains("This request is resolved or closed"), "{page}");

        // Metrics are for vendor staff.
        let metrics = lead.get("/support/metrics").await;
        assert_eq!(metrics.status(), 200);
        let metrics = metrics.text().await.unwrap();
        for expected in ["By partner tier", "Platinum", "Leon Marsh", "Targets met", "of 5"] {
            assert!(metrics.contains(expected), "{expected}: {metrics}");
        }
        assert_eq!(partner.get("/support/metrics").await.status(), 403);
    }
}

on_both_databases! {
    async fn administrators_set_the_hours_holidays_and_targets(app) {
        let app = app.with_demo_program().await;
        let admin = app.signed_in("alex.morgan@northwind.example").await;
        let page = admin.get("/support/settings").await;
        assert_eq!(page.status(), 200);
        assert!(page.text().await.unwrap().contains("Support hours"));
        assert_eq!(app.signed_in(LEAD).await.get("/support/settings").await.status(), 403);

        let week = [("day", "mon"), ("day", "tue"), ("day", "wed"), ("day", "thu"), ("day", "fri")];
        let mut wrong: Vec<(&str, &str)> = week.to_vec();
        wrong.extend([("zone", "Europe/Berln"), ("opens", "08:00"), ("closes", "18:00")]);
        let (_, page) = follow(&admin, admin.post_form("/support/settings/hours", &wrong).await).await;
        assert!(page.contains("Nothing was changed. Time zone"), "{page}");
        let mut right: Vec<(&str, &str)> = week.to_vec();
        right.extend([("zone", "Europe/Berlin"), ("opens", "08:00"), ("closes", "18:00")]);
        let (_, page) = follow(&admin, admin.post_form("/support/settings/hours", &right).await).await;
        assert!(page.contains("Mon–Fri 08:00–18:00 (Europe/Berlin)"), "{page}");

        let (_, page) = follow(&admin, admin.post_form("/support/settings/holidays", &[("day", "2026-12-24"), ("name", "Christmas Eve")]).await).await;
        assert!(page.contains("24 Dec 2026 · Christmas Eve"), "{page}");
        let (_, page) = follow(&admin, admin.post_form("/support/settings/holidays/2026-12-24/remove", &[]).await).await;
        assert!(!page.contains("Christmas Eve"), "{page}");
        assert_eq!(admin.post_form("/support/settings/holidays/2026-12-24/remove", &[]).await.status(), 404);

        // Targets: one wrong value changes nothing; then urgent Platinum answers within 20 minutes.
        let policies = portico::platform::sla::policies(&app.pool, "ticket").await.unwrap();
        let platinum_urgent = policies
            .iter()
            .find(|p| p.priority == "urgent" && p.tier.as_deref() == Some("Platinum"))
            .unwrap();
        let mut fields: Vec<(String, String)> = policies
            .iter()
            .flat_map(|p| {
                [
                    (format!("first-{}", p.id), p.first_response_minutes.to_string()),
                    (format!("resolution-{}", p.id), p.resolution_minutes.to_string()),
                ]
            })
            .collect();
        let first_field = format!("first-{}", platinum_urgent.id);
        let set = |fields: &mut Vec<(String, String)>, value: &str| {
            for (name, v) in fields.iter_mut() {
                if *name == first_field {
                    *v = value.to_owned();
                }
            }
        };
        set(&mut fields, "soon");
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (_, page) = follow(&admin, admin.post_form("/support/settings/targets", &pairs).await).await;
        assert!(page.contains("Urgent priority, Platinum: targets are whole business minutes"), "{page}");
        set(&mut fields, "20");
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let (_, page) = follow(&admin, admin.post_form("/support/settings/targets", &pairs).await).await;
        assert!(page.contains("1 target row saved"), "{page}");
        let ticket = opened_by(&app, BRIGHTLINE_ADMIN, &[
            ("subject", "Core switch down"),
            ("category", "technical"),
            ("priority", "urgent"),
            ("body", "The core switch at our warehouse does not boot."),
        ])
        .await;
        assert_eq!(clock_of(&app, &ticket, "first_response").await.target_minutes, 20);
    }
}

/// Internal notes never reach a partner by e-mail either: the partner's mail of a public reply
/// arrives, the note's text is in no partner's mail, and a mentioned colleague of support gets it.
async fn internal_notes_never_reach_partners_by_mail(backend: Backend) {
    let smtp = TestSmtp::start().await;
    let Some(app) = TestApp::spawn_with_smtp(backend, &smtp).await else {
        return;
    };
    let app = app.with_demo_program().await;
    let ticket = opened_by(
        &app,
        KESSLER_ADMIN,
        &[
            ("subject", "Invoice address"),
            ("category", "other"),
            ("priority", "low"),
            ("body", "Please use our new address from next month."),
        ],
    )
    .await;
    let agent = app.signed_in(AGENT).await;
    reply(
        &agent,
        &ticket,
        &[
            ("body", "Their credit limit is under review, @sam.okafor."),
            ("internal", "yes"),
        ],
    )
    .await;
    reply(
        &agent,
        &ticket,
        &[
            (
                "body",
                "Noted: invoices go to the new address from December.",
            ),
            ("then", "open"),
        ],
    )
    .await;
    // Sam: the new request, the mention and (following since) the reply; Anna: the reply and
    // the status it moved to.
    let mails = smtp.wait_for(5).await;
    let to_partner: Vec<_> = mails
        .iter()
        .filter(|m| m.to.iter().any(|t| t.contains("kessler-it.example")))
        .collect();
    assert!(
        to_partner
            .iter()
            .any(|m| m.data.contains("invoices go to the new address")),
        "the partner hears of the public reply: {mails:?}"
    );
    assert!(
        mails
            .iter()
            .filter(|m| !m.to.iter().any(|t| t.ends_with("@northwind.example")))
            .all(|m| !m.data.contains("credit limit")),
        "no partner mail carries the internal note"
    );
    assert!(
        mails
            .iter()
            .any(|m| m.to.iter().any(|t| t.contains(LEAD)) && m.data.contains("credit limit")),
        "the mentioned colleague gets it: {mails:?}"
    );
}

#[tokio::test]
async fn internal_notes_by_mail_sqlite() {
    internal_notes_never_reach_partners_by_mail(Backend::Sqlite).await;
}

#[tokio::test]
async fn internal_notes_by_mail_postgres() {
    internal_notes_never_reach_partners_by_mail(Backend::Postgres).await;
}
