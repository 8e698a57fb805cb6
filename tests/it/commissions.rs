//! Commissions: accrual previewed then applied once, explained line by line, reversed when an
//! order comes back; statements approved by someone other than their preparer, then paid;
//! partners see only their own.

use portico::commissions::entity::{dispute, line, plan, statement};
use portico::commissions::model::{Period, PeriodKind};
use portico::commissions::{accrual, store};
use portico::orders::entity::{order_event, sales_order};
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::helpers::{TestApp, Visitor, on_both_databases};

const FINANCE: &str = "tom.becker@northwind.example";
const SECOND_FINANCE: &str = "nadia.ruiz@northwind.example";
pub(crate) const OPERATIONS: &str = "olivia.grant@northwind.example";
const KESSLER_ADMIN: &str = "anna.kessler@kessler-it.example";
/// Another distributor's administrator: Kessler IT is a reseller under Brightline, not Atlas.
const OUTSIDER: &str = "george.hale@atlas-channel.example";

async fn lines(app: &TestApp) -> u64 {
    line::Entity::find().count(&app.pool).await.unwrap()
}

async fn resale_plan(app: &TestApp) -> plan::Model {
    plan::Entity::find()
        .filter(plan::Column::Name.eq("Channel resale 2026"))
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap()
}

/// A shipped resale order of Kessler IT, in euros.
async fn shipped_order(app: &TestApp) -> sales_order::Model {
    let kessler = crate::tenancy::id_of(app, "Kessler IT Solutions").await;
    sales_order::Entity::find()
        .filter(sales_order::Column::PartnerId.eq(uuid::Uuid::parse_str(&kessler).unwrap()))
        .filter(sales_order::Column::Status.eq("shipped"))
        .filter(sales_order::Column::DealType.eq("resale"))
        .filter(sales_order::Column::Currency.eq("EUR"))
        .order_by_asc(sales_order::Column::Number)
        .one(&app.pool)
        .await
        .unwrap()
        .expect("the demo has a shipped resale order of Kessler IT")
}

/// Operations take the order through delivery and invoicing to paid.
async fn pay_order(app: &TestApp, order: &sales_order::Model) {
    let operations = app.signed_in(OPERATIONS).await;
    for status in ["delivered", "invoiced", "paid"] {
        let moved = operations
            .post_form(
                &format!("/orders/{}/status", order.id),
                &[("status", status), ("reason", "")],
            )
            .await;
        assert_eq!(moved.status(), 303);
    }
    let now = sales_order::Entity::find_by_id(order.id)
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(now.status, "paid");
}

/// A message in a commission line's discussion, as the page's form sends it.
async fn say(
    visitor: &Visitor,
    line: &line::Model,
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
            &format!("/commissions/lines/{}/messages", line.id),
            &fields,
            (name, "text/plain", bytes.to_vec()),
        )
        .await
}

/// The addresses of the files attached in a page's discussion.
fn attachment_links(page: &str, line: &line::Model) -> Vec<String> {
    let base = format!("/commissions/lines/{}/attachments/", line.id);
    page.match_indices(&base)
        .map(|(at, _)| page[at..].split('"').next().unwrap().to_owned())
        .collect()
}

async fn follow(visitor: &Visitor, response: reqwest::Response) -> String {
    assert_eq!(response.status(), 303);
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    visitor.get(&location).await.text().await.unwrap()
}

fn this_month() -> String {
    let today = time::OffsetDateTime::now_utc().date();
    format!("{}-{:02}", today.year(), u8::from(today.month()))
}

/// The middle of last month: a period that has ended, so a run prepares its statements.
fn mid_last_month() -> time::OffsetDateTime {
    let first = time::OffsetDateTime::now_utc()
        .date()
        .replace_day(1)
        .unwrap();
    let day = first.previous_day().unwrap().replace_day(15).unwrap();
    day.with_hms(12, 0, 0).unwrap().assume_utc()
}

fn last_month() -> String {
    let day = mid_last_month().date();
    format!("{}-{:02}", day.year(), u8::from(day.month()))
}

/// Moves the order's events from `since` on by `by`, keeping their order: as if what
/// happened since had happened then.
async fn shift_events(
    app: &TestApp,
    order: &sales_order::Model,
    since: time::OffsetDateTime,
    by: time::Duration,
) {
    use sea_orm::{ActiveModelTrait, ActiveValue::Set};
    let events = order_event::Entity::find()
        .filter(order_event::Column::OrderId.eq(order.id))
        .filter(order_event::Column::At.gte(since))
        .all(&app.pool)
        .await
        .unwrap();
    assert!(!events.is_empty());
    for event in events {
        let at = event.at + by;
        let mut moved: order_event::ActiveModel = event.into();
        moved.at = Set(at);
        moved.update(&app.pool).await.unwrap();
    }
}

/// Moves the order's whole history back so that what happened last (its payment) falls in
/// the middle of last month, a period that has ended.
async fn paid_last_month(app: &TestApp, order: &sales_order::Model) {
    let by = mid_last_month() - time::OffsetDateTime::now_utc();
    shift_events(app, order, time::OffsetDateTime::UNIX_EPOCH, by).await;
}

fn fingerprint_in(page: &str) -> String {
    let marker = "name=\"fingerprint\" value=\"";
    let start = page.find(marker).expect("the preview offers to apply") + marker.len();
    page[start..start + 64].to_owned()
}

async fn preview(finance: &Visitor, plan: &plan::Model, period: &str) -> String {
    let page = finance
        .post_form(
            "/commissions/run",
            &[("plan", &plan.id.to_string()), ("period", period)],
        )
        .await;
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

async fn apply(
    finance: &Visitor,
    plan: &plan::Model,
    period: &str,
    fingerprint: &str,
) -> reqwest::Response {
    finance
        .post_form(
            "/commissions/run/apply",
            &[
                ("plan", &plan.id.to_string()),
                ("period", period),
                ("fingerprint", fingerprint),
            ],
        )
        .await
}

/// The statement notices in a person's inbox.
async fn statement_news(
    app: &TestApp,
    email: &str,
) -> Vec<portico::notify::entity::notification::Model> {
    let mut news = crate::discussions::notifications_of(app, email).await;
    news.retain(|n| n.kind == "commission.statement");
    news
}

async fn post_adjustment(visitor: &Visitor, fields: Vec<(&str, String)>) -> reqwest::Response {
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    visitor.post_form("/commissions/adjustments", &fields).await
}

async fn order_net(app: &TestApp, order: &sales_order::Model) -> i64 {
    line::Entity::find()
        .filter(line::Column::OrderId.eq(order.id))
        .all(&app.pool)
        .await
        .unwrap()
        .iter()
        .map(|l| l.amount_minor)
        .sum()
}

on_both_databases! {
    async fn accrual_is_previewed_applied_once_explained_and_reversed(app) {
        let app = app.with_demo_program().await;
        let plan = resale_plan(&app).await;
        let order = shipped_order(&app).await;
        pay_order(&app, &order).await;

        // The preview shows the new lines and writes nothing.
        let finance = app.signed_in(FINANCE).await;
        let before = lines(&app).await;
        let page = preview(&finance, &plan, &this_month()).await;
        assert!(page.contains(&format!("{} line 1", order.number)), "the paid order is in the preview");
        assert!(page.contains("under &#39;Gold volume&#39; v1") || page.contains("under &#39;Cloud licences&#39; v1"), "Kessler IT is a Gold partner");
        assert_eq!(lines(&app).await, before, "a preview writes nothing");

        // A stale preview is refused and shown anew.
        let refused = apply(&finance, &plan, &this_month(), &"0".repeat(64)).await;
        assert_eq!(refused.status(), 200);
        assert!(refused.text().await.unwrap().contains("changed since the preview, so nothing was written"));
        assert_eq!(lines(&app).await, before);

        let applied = apply(&finance, &plan, &this_month(), &fingerprint_in(&page)).await;
        let told = follow(&finance, applied).await;
        let written = lines(&app).await - before;
        assert!(written > 0);
        let earned = order_net(&app, &order).await;
        assert!(earned > 0, "the order earned commission");
        // The month is still running: its lines are written, its statements wait for its end.
        assert!(told.contains("its statements are prepared once it has ended"), "{told}");
        let today = time::OffsetDateTime::now_utc().date();
        let this_period = Period::containing(today, PeriodKind::Monthly);
        let running = statement::Entity::find()
            .filter(statement::Column::PlanId.eq(plan.id))
            .filter(statement::Column::PeriodStart.eq(this_period.start));
        assert_eq!(running.clone().count(&app.pool).await.unwrap(), 0);
        // A statement of a running period (as runs made before that rule prepared them) cannot
        // be approved until the period has ended.
        let preparer = store::Actor { user_id: None, label: "an earlier run".into() };
        let plan_terms = accrual::Plan::from_row(plan.clone()).unwrap();
        store::generate_statements(&app.pool, &plan_terms, this_period, &preparer, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        let early = running.one(&app.pool).await.unwrap().expect("prepared by the earlier run");
        let second = app.signed_in(SECOND_FINANCE).await;
        let path = format!("/commissions/statements/{}", early.id);
        assert!(second.get(&path).await.text().await.unwrap().contains("can be approved once it has ended"));
        let refused = follow(&second, second.post_form(&format!("{path}/approve"), &[("seen", &store::version_of(&early))]).await).await;
        assert!(refused.contains("approve it once the period has ended"), "{refused}");
        let unchanged = statement::Entity::find_by_id(early.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(unchanged.status, "pending");

        // Running again writes nothing: accrual is idempotent.
        let page = preview(&finance, &plan, &this_month()).await;
        assert!(page.contains("Nothing to write"), "{page}");
        let run = accrual::plan_run(
            &app.pool,
            &accrual::Plan::from_row(plan.clone()).unwrap(),
            Period::containing(today, PeriodKind::Monthly),
        )
        .await
        .unwrap();
        assert!(run.lines.is_empty(), "a second run plans nothing: {:?}", run.lines);

        // The partner reads the line with its explanation.
        let kessler = app.signed_in(KESSLER_ADMIN).await;
        let earned_line = line::Entity::find()
            .filter(line::Column::OrderId.eq(order.id))
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap();
        let detail = kessler.get(&format!("/commissions/lines/{}", earned_line.id)).await;
        assert_eq!(detail.status(), 200);
        let detail = detail.text().await.unwrap();
        assert!(detail.contains(&earned_line.explanation.replace('\'', "&#39;")));
        assert!(detail.contains(&order.number));
        // Another partner learns nothing of it.
        let outsider = app.signed_in(OUTSIDER).await;
        assert_eq!(outsider.get(&format!("/commissions/lines/{}", earned_line.id)).await.status(), 404);

        // The order comes back: its commission is reversed by a new line, nothing is edited.
        let operations = app.signed_in(OPERATIONS).await;
        let returned = operations
            .post_form(&format!("/orders/{}/status", order.id), &[("status", "returned"), ("reason", "Goods came back damaged")])
            .await;
        assert_eq!(returned.status(), 303);
        let page = preview(&finance, &plan, &this_month()).await;
        assert!(page.contains("Reversal of"), "{page}");
        let applied = apply(&finance, &plan, &this_month(), &fingerprint_in(&page)).await;
        assert_eq!(applied.status(), 303);
        assert_eq!(order_net(&app, &order).await, 0, "a reversal nets to zero");
        let kept = line::Entity::find_by_id(earned_line.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(kept, earned_line, "the earned line is untouched");
        assert!(preview(&finance, &plan, &this_month()).await.contains("Nothing to write"));
    }

    async fn statements_need_a_second_person_to_approve_then_are_paid(app) {
        let app = app.with_demo_program().await;
        let plan = resale_plan(&app).await;
        let order = shipped_order(&app).await;
        pay_order(&app, &order).await;
        paid_last_month(&app, &order).await;
        let finance = app.signed_in(FINANCE).await;
        let page = preview(&finance, &plan, &last_month()).await;
        assert_eq!(apply(&finance, &plan, &last_month(), &fingerprint_in(&page)).await.status(), 303);
        let prepared = statement::Entity::find()
            .filter(statement::Column::PartnerId.eq(order.partner_id))
            .filter(statement::Column::PlanId.eq(plan.id))
            .order_by_desc(statement::Column::PeriodStart)
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(prepared.status, "pending");
        let path = format!("/commissions/statements/{}", prepared.id);

        // The preparer cannot approve their own statement.
        let refused = finance.post_form(&format!("{path}/approve"), &[]).await;
        let notice = refused.headers()["location"].to_str().unwrap().to_owned();
        assert!(finance.get(&notice).await.text().await.unwrap().contains("someone else in finance must approve it"));
        let unchanged = statement::Entity::find_by_id(prepared.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(unchanged.status, "pending");

        let second = app.signed_in(SECOND_FINANCE).await;
        // Approving pins the statement as it was shown: a stale view is refused in words.
        let page = second.get(&path).await.text().await.unwrap();
        let marker = "name=\"seen\" value=\"";
        let at = page.find(marker).expect("the approval carries what was seen") + marker.len();
        let seen = page[at..].split('"').next().unwrap().to_owned();
        let stale = second.post_form(&format!("{path}/approve"), &[("seen", "0")]).await;
        let notice = stale.headers()["location"].to_str().unwrap().to_owned();
        assert!(second.get(&notice).await.text().await.unwrap().contains("changed since you opened it"));
        assert_eq!(statement::Entity::find_by_id(prepared.id).one(&app.pool).await.unwrap().unwrap().status, "pending");
        assert_eq!(second.post_form(&format!("{path}/approve"), &[("seen", seen.as_str())]).await.status(), 303);
        // Paying needs a reference and a date; a bad one changes nothing.
        let refused = second.post_form(&format!("{path}/pay"), &[("reference", ""), ("paid_on", "2026-13-01")]).await;
        let notice = refused.headers()["location"].to_str().unwrap().to_owned();
        assert!(second.get(&notice).await.text().await.unwrap().contains("Give the payout reference"));
        assert_eq!(
            statement::Entity::find_by_id(prepared.id).one(&app.pool).await.unwrap().unwrap().status,
            "approved"
        );
        let paid = second.post_form(&format!("{path}/pay"), &[("reference", "PAY-TEST-1"), ("paid_on", "2026-11-20")]).await;
        assert_eq!(paid.status(), 303);
        let settled = statement::Entity::find_by_id(prepared.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(settled.status, "paid");
        assert_eq!(settled.payout_reference.as_deref(), Some("PAY-TEST-1"));
        assert_eq!(settled.total_minor, settled.opening_minor + settled.lines_minor);
        let sum: i64 = line::Entity::find()
            .filter(line::Column::StatementId.eq(prepared.id))
            .all(&app.pool)
            .await
            .unwrap()
            .iter()
            .map(|l| l.amount_minor)
            .sum();
        assert_eq!(settled.lines_minor, sum, "the statement adds up its lines");

        // The partner sees the statement, its lines by order and its timeline.
        let kessler = app.signed_in(KESSLER_ADMIN).await;
        let page = kessler.get(&path).await.text().await.unwrap();
        assert!(page.contains("Paid"));
        assert!(page.contains(&format!("Order {}", order.number)));
        assert!(page.contains("PAY-TEST-1"));
        assert!(page.contains("Status: Approved → Paid"));
        // The partner's people were told of the approval and the payout, in the inbox and by
        // e-mail (queued); finance, who acted, and other partners were not.
        let news = statement_news(&app, KESSLER_ADMIN).await;
        let approved = news.iter().find(|n| n.title == format!("Statement {} approved", prepared.number)).expect("told of the approval");
        assert!(approved.body.starts_with("Payout EUR"), "{}", approved.body);
        let paid = news.iter().find(|n| n.title == format!("Statement {} paid", prepared.number)).expect("told of the payout");
        assert!(paid.body.contains("reference PAY-TEST-1"), "{}", paid.body);
        assert_eq!(paid.link, path);
        let mails = portico::platform::jobs::entity::Entity::find()
            .filter(portico::platform::jobs::entity::Column::Kind.eq("notify.mail"))
            .filter(portico::platform::jobs::entity::Column::Payload.contains(paid.id.to_string()))
            .count(&app.pool)
            .await
            .unwrap();
        assert_eq!(mails, 1, "the payout notice is e-mailed");
        assert!(statement_news(&app, SECOND_FINANCE).await.is_empty());
        assert!(statement_news(&app, OUTSIDER).await.is_empty());
        let list = kessler.get("/commissions").await.text().await.unwrap();
        assert!(list.contains(&prepared.number));
        // Downloads: a readable PDF and a table that adds up, each audited.
        let pdf = kessler.get(&format!("{path}/download/pdf")).await;
        assert_eq!(pdf.status(), 200);
        assert_eq!(pdf.headers()["content-type"], "application/pdf");
        let bytes = pdf.bytes().await.unwrap();
        assert!(bytes.starts_with(b"%PDF-1.4"));
        assert!(bytes.windows(order.number.len()).any(|w| w == order.number.as_bytes()), "the PDF lists the order");
        let csv = kessler.get(&format!("{path}/download/csv")).await.text().await.unwrap();
        let amounts: i64 = csv
            .lines()
            .skip(1)
            .map(|row| {
                let cells: Vec<&str> = row.rsplitn(3, ',').collect();
                let euros = cells[1].replace('.', "");
                euros.parse::<i64>().unwrap()
            })
            .sum();
        assert_eq!(amounts, settled.lines_minor, "the CSV's commission column adds up to the statement");
        assert_eq!(kessler.get(&format!("{path}/download/xlsx")).await.status(), 200);
        assert_eq!(kessler.get(&format!("{path}/download/doc")).await.status(), 404);
        let audited = portico::audit::Entity::find()
            .filter(portico::audit::Column::Action.eq("commission.statement_downloaded"))
            .count(&app.pool)
            .await
            .unwrap();
        assert_eq!(audited, 3);

        // An adjustment written now goes on the partner's next statement, not the paid one.
        let some_line = line::Entity::find()
            .filter(line::Column::StatementId.eq(prepared.id))
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap();
        let adjusted = finance
            .post_form(&format!("/commissions/lines/{}/adjust", some_line.id), &[("amount", "12.00"), ("reason", "Missed freight rebate")])
            .await;
        assert_eq!(adjusted.status(), 303);
        let waiting = line::Entity::find()
            .filter(line::Column::Kind.eq("adjustment"))
            .filter(line::Column::Reason.eq("Missed freight rebate"))
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(waiting.statement_id, None);

        // A paid statement is corrected by a new revision that settles only the difference: the
        // order came back within the period, recorded late, and a second run for the period
        // reverses its commission.
        let earned = order_net(&app, &order).await;
        assert!(earned > 0);
        let recorded = time::OffsetDateTime::now_utc();
        let operations = app.signed_in(OPERATIONS).await;
        let returned = operations
            .post_form(&format!("/orders/{}/status", order.id), &[("status", "returned"), ("reason", "Came back in the period")])
            .await;
        assert_eq!(returned.status(), 303);
        let by = mid_last_month() + time::Duration::days(1) - time::OffsetDateTime::now_utc();
        shift_events(&app, &order, recorded, by).await;
        let page = preview(&finance, &plan, &last_month()).await;
        assert_eq!(apply(&finance, &plan, &last_month(), &fingerprint_in(&page)).await.status(), 303);
        assert_eq!(order_net(&app, &order).await, 0, "the return reversed the order's commission");
        let page = follow(&finance, finance.post_form(&format!("{path}/correct"), &[("reason", "")]).await).await;
        assert!(page.contains("Say why the statement is corrected"));
        let corrected = finance.post_form(&format!("{path}/correct"), &[("reason", "Freight rebate was missed")]).await;
        let revision_path = corrected.headers()["location"].to_str().unwrap().split('?').next().unwrap().to_owned();
        assert_ne!(revision_path, path);
        let earlier = statement::Entity::find_by_id(prepared.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(earlier.status, "corrected");
        let revision = statement::Entity::find()
            .filter(statement::Column::SupersedesId.eq(prepared.id))
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(revision.revision, 2);
        assert_eq!(revision.status, "pending");
        assert_eq!(revision.lines_minor, settled.lines_minor - earned);
        assert_eq!(revision.paid_before_minor, settled.payout_minor);
        assert_eq!(revision.total_minor, settled.total_minor - earned);
        assert_eq!(
            revision.payout_minor,
            revision.total_minor.max(0) - settled.payout_minor,
            "only the difference is settled"
        );
        assert!(revision.payout_minor < 0, "what was paid for the order is clawed back");
        let page = kessler.get(&revision_path).await.text().await.unwrap();
        assert!(page.contains("This revision corrects"));
        assert!(page.contains("new in this correction"));
        let reversal = line::Entity::find()
            .filter(line::Column::OrderId.eq(order.id))
            .filter(line::Column::Kind.eq("reversal"))
            .one(&app.pool)
            .await
            .unwrap()
            .expect("the return's reversal line");
        assert_eq!(reversal.statement_id, Some(revision.id));
        assert!(page.contains(&reversal.explanation.replace('\'', "&#39;")), "{page}");
        let page = kessler.get(&path).await.text().await.unwrap();
        assert!(page.contains("Corrected by"));
        assert!(page.contains(&revision.number));
        let news = statement_news(&app, KESSLER_ADMIN).await;
        let told = news
            .iter()
            .find(|n| n.title == format!("Statement {} corrected by {}", prepared.number, revision.number))
            .expect("told of the correction");
        assert!(told.body.contains("Freight rebate was missed"), "{}", told.body);
        assert_eq!(told.link, revision_path);
        // Another partner's finance person learns nothing of it.
        let outsider = app.signed_in(OUTSIDER).await;
        assert_eq!(outsider.get(&path).await.status(), 404);
        assert!(!outsider.get("/commissions").await.text().await.unwrap().contains(&prepared.number));
    }

    async fn partners_read_the_rules_that_apply_to_them(app) {
        let app = app.with_demo_program().await;
        // The demo settled every complete period: settling again writes nothing.
        let actor = portico::commissions::store::Actor { user_id: None, label: "test".into() };
        let before = lines(&app).await;
        let report = portico::commissions::settle_all(&app.pool, (None, time::OffsetDateTime::now_utc().date()), &actor).await.unwrap();
        assert!(report.periods >= 3, "the latest period of each plan is looked at again");
        assert_eq!((report.lines_written, report.statements_created), (0, 0));
        assert_eq!(lines(&app).await, before);
        // A year of statements in every status, with a paid one corrected for a late return.
        let statuses: std::collections::BTreeSet<String> =
            statement::Entity::find().all(&app.pool).await.unwrap().into_iter().map(|s| s.status).collect();
        assert_eq!(statuses.into_iter().collect::<Vec<_>>(), ["approved", "corrected", "paid", "pending"]);
        let revision = statement::Entity::find()
            .filter(statement::Column::SupersedesId.is_not_null())
            .one(&app.pool)
            .await
            .unwrap()
            .expect("the demo's correction");
        assert!(revision.payout_minor < 0, "the late return is clawed back");
        let reversal = line::Entity::find()
            .filter(line::Column::StatementId.eq(revision.id))
            .filter(line::Column::Kind.eq("reversal"))
            .count(&app.pool)
            .await
            .unwrap();
        assert!(reversal > 0);
        let kessler = app.signed_in(KESSLER_ADMIN).await;
        let page = kessler.get("/commissions/rules").await.text().await.unwrap();
        assert!(page.contains("How your commission is calculated"));
        assert!(page.contains("Registered deals v1"));
        assert!(page.contains("Standard resale v2"), "the version in force today");
        assert!(!page.contains("Standard resale v1"), "not the superseded one");
        // Gold volume bands apply to Gold partners only.
        let tier = crate::tenancy::tier_of(&app, "Kessler IT Solutions").await;
        assert_eq!(page.contains("Gold volume"), tier == "Gold", "tier {tier}");
        let finance = app.signed_in(FINANCE).await;
        let all = finance.get("/commissions/rules").await.text().await.unwrap();
        assert!(all.contains("Standard resale v1") && all.contains("Gold volume v1"));
    }

    async fn a_partner_disputes_a_line_and_finance_answers(app) {
        let app = app.with_demo_program().await;
        let brightline = uuid::Uuid::parse_str(&crate::tenancy::id_of(&app, "Brightline Distribution").await).unwrap();
        let disputed = line::Entity::find()
            .filter(line::Column::PartnerId.eq(brightline))
            .filter(line::Column::Kind.eq("accrual"))
            .order_by_desc(line::Column::EarnedOn)
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap();
        let path = format!("/commissions/lines/{}", disputed.id);
        let disputes = || dispute::Entity::find().filter(dispute::Column::LineId.eq(disputed.id)).count(&app.pool);
        let before = disputes().await.unwrap();

        // An empty dispute is refused and changes nothing.
        let partner = app.signed_in("eva.hoffmann@brightline.example").await;
        let page = follow(&partner, partner.post_form(&format!("{path}/dispute"), &[("body", "  ")]).await).await;
        assert!(page.contains("Say what you think is wrong with this line"));
        assert_eq!(disputes().await.unwrap(), before);

        let page = follow(
            &partner,
            partner.post_form(&format!("{path}/dispute"), &[("body", "We were Platinum from March; this should be at the Platinum rate.")]).await,
        )
        .await;
        assert!(page.contains("Your dispute is with finance"));
        assert!(page.contains("Disputed"));
        assert!(page.contains("We were Platinum from March"));
        assert_eq!(disputes().await.unwrap(), before + 1);

        // Finance find it in the queue, note something internally and answer.
        let finance = app.signed_in(FINANCE).await;
        let queue = finance.get("/commissions/disputes").await.text().await.unwrap();
        assert!(queue.contains(&disputed.id.to_string()));
        assert!(queue.contains("Brightline Distribution"));
        follow(&finance, say(&finance, &disputed, "Tier change was recorded late; check with Priya.", true, Some(("tier-log.txt", b"internal tier log"))).await).await;
        follow(&finance, say(&finance, &disputed, "You are right, we will adjust it.", false, None).await).await;
        // A partner cannot write an internal note.
        assert_eq!(say(&partner, &disputed, "sneaky", true, None).await.status(), 403);
        // The partner attaches its proof; both sides open it, nobody else learns of it.
        let page = follow(&partner, say(&partner, &disputed, "Our Platinum letter is attached.", false, Some(("platinum-letter.txt", b"Platinum from 1 March"))).await).await;
        assert!(page.contains("platinum-letter.txt"), "{page}");
        let links = attachment_links(&page, &disputed);
        assert_eq!(links.len(), 1, "the partner sees its file, not finance's internal one");
        for visitor in [&partner, &finance] {
            let file = visitor.get(&links[0]).await;
            assert_eq!(file.status(), 200);
            assert_eq!(file.bytes().await.unwrap().as_ref(), b"Platinum from 1 March");
        }
        let outsider = app.signed_in(OUTSIDER).await;
        assert_eq!(outsider.get(&links[0]).await.status(), 404);
        let staff_links = attachment_links(&finance.get(&path).await.text().await.unwrap(), &disputed);
        assert_eq!(staff_links.len(), 2, "finance sees its internal file too");
        let internal = staff_links.iter().find(|l| **l != links[0]).unwrap();
        assert_eq!(partner.get(internal).await.status(), 404, "an internal note's file stays internal");
        let downloads = portico::audit::Entity::find()
            .filter(portico::audit::Column::Action.eq("commission.attachment_downloaded"))
            .count(&app.pool)
            .await
            .unwrap();
        assert_eq!(downloads, 2);

        // Resolving needs words; a bad amount changes nothing.
        let page = follow(&finance, finance.post_form(&format!("{path}/resolve"), &[("resolution", "Tier applied"), ("adjustment", "12.345")]).await).await;
        assert!(page.contains("Adjustment:"), "{page}");
        let adjustments = || line::Entity::find().filter(line::Column::PartnerId.eq(brightline)).filter(line::Column::Kind.eq("adjustment")).count(&app.pool);
        let adjustments_before = adjustments().await.unwrap();
        let page = follow(&finance, finance.post_form(&format!("{path}/resolve"), &[("resolution", "Platinum rate applied from March."), ("adjustment", "25.50")]).await).await;
        assert!(page.contains("Dispute resolved"));
        assert_eq!(adjustments().await.unwrap(), adjustments_before + 1);
        let written = line::Entity::find()
            .filter(line::Column::PartnerId.eq(brightline))
            .filter(line::Column::Kind.eq("adjustment"))
            .order_by_desc(line::Column::CalculatedAt)
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(written.amount_minor, 2_550);
        assert_eq!(written.reason.as_deref(), Some("Platinum rate applied from March."));
        assert!(written.statement_id.is_none(), "it waits for the next statement");

        // The partner sees the answer and the resolution, never the internal note.
        let page = partner.get(&path).await.text().await.unwrap();
        assert!(page.contains("You are right, we will adjust it."));
        assert!(page.contains("Platinum rate applied from March."));
        assert!(page.contains("+EUR 25.50"));
        assert!(!page.contains("Tier change was recorded late"));
        assert!(!page.contains("internal — not visible"));
        let staff_page = finance.get(&path).await.text().await.unwrap();
        assert!(staff_page.contains("Tier change was recorded late"));

        // Exclusion takes an order line back to zero, and accrual leaves it there.
        let excluded_source = line::Entity::find()
            .filter(line::Column::PartnerId.eq(brightline))
            .filter(line::Column::Kind.eq("accrual"))
            .order_by_asc(line::Column::EarnedOn)
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap();
        let page = follow(&finance, finance.post_form(&format!("/commissions/lines/{}/exclude", excluded_source.id), &[("reason", "Internal demo order, not a sale.")]).await).await;
        assert!(page.contains("Line excluded"));
        let net: i64 = line::Entity::find()
            .filter(line::Column::OrderLineId.eq(excluded_source.order_line_id))
            .filter(line::Column::PlanId.eq(excluded_source.plan_id))
            .all(&app.pool)
            .await
            .unwrap()
            .iter()
            .map(|l| l.amount_minor)
            .sum();
        assert_eq!(net, 0);
        let plan = accrual::Plan::from_row(
            plan::Entity::find_by_id(excluded_source.plan_id).one(&app.pool).await.unwrap().unwrap(),
        )
        .unwrap();
        let run = accrual::plan_run(&app.pool, &plan, Period::containing(excluded_source.earned_on, plan.period)).await.unwrap();
        assert!(!run.lines.iter().any(|l| Some(l.order_line_id) == excluded_source.order_line_id), "accrual leaves an excluded line alone");

        // Another partner can neither read nor dispute it.
        let outsider = app.signed_in(OUTSIDER).await;
        assert_eq!(outsider.get(&path).await.status(), 404);
        assert_eq!(outsider.post_form(&format!("{path}/dispute"), &[("body", "mine?")]).await.status(), 404);
    }

    async fn rule_changes_are_checked_previewed_then_saved_with_their_corrections(app) {
        let app = app.with_demo_program().await;
        let plan = resale_plan(&app).await;
        let finance = app.signed_in(FINANCE).await;
        let form = format!("/commissions/plans/{}/rules/new", plan.id);
        assert_eq!(finance.get(&form).await.status(), 200);
        let rules = || portico::commissions::entity::rule::Entity::find().count(&app.pool);
        let rules_before = rules().await.unwrap();
        // An order that earned long ago comes back: the reversal is written once, not once per
        // period the rule change reaches.
        let mut returned_order = None;
        for old_line in line::Entity::find()
            .filter(line::Column::PlanId.eq(plan.id))
            .filter(line::Column::Kind.eq("accrual"))
            .order_by_asc(line::Column::EarnedOn)
            .all(&app.pool)
            .await
            .unwrap()
        {
            let order = sales_order::Entity::find_by_id(old_line.order_id.unwrap()).one(&app.pool).await.unwrap().unwrap();
            if order.status == "paid" {
                returned_order = Some(order);
                break;
            }
        }
        let returned_order = returned_order.expect("an old paid order with commission");
        let operations = app.signed_in(OPERATIONS).await;
        let moved = operations
            .post_form(&format!("/orders/{}/status", returned_order.id), &[("status", "returned"), ("reason", "Came back")])
            .await;
        assert_eq!(moved.status(), 303);
        let lines_before = lines(&app).await;
        let start = {
            let today = time::OffsetDateTime::now_utc().date();
            let first = today.replace_day(1).unwrap();
            first.checked_sub(time::Duration::days(80)).unwrap().replace_day(1).unwrap().to_string()
        };
        let submit = |fields: Vec<(&'static str, String)>| {
            let finance = &finance;
            let form = form.clone();
            async move {
                let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
                let page = finance.post_form(&form, &fields).await;
                (page.status(), page.text().await.unwrap())
            }
        };
        let base = |rate: &str, precedence: &str, action: &str| {
            vec![
                ("name", "Wireless push".to_owned()),
                ("precedence", precedence.to_owned()),
                ("effective_from", start.clone()),
                ("product_line", "Wireless".to_owned()),
                ("deal_type", "resale".to_owned()),
                ("qualifying_status", "paid".to_owned()),
                ("reward", "rate".to_owned()),
                ("rate", rate.to_owned()),
                ("currency", "EUR".to_owned()),
                ("action", action.to_owned()),
            ]
        };

        // Unsafe rules are refused before anything is saved.
        let (status, page) = submit(base("-3", "35", "preview")).await;
        assert_eq!(status, 200);
        assert!(page.contains("A commission rate cannot be negative."));
        let (_, page) = submit(base("8", "10", "preview")).await;
        assert!(page.contains("&#39;Standard resale&#39; already has precedence 10"), "{page}");
        assert_eq!(rules().await.unwrap(), rules_before);

        // The preview shows the corrections and saves nothing.
        let (_, page) = submit(base("8", "35", "preview")).await;
        assert!(page.contains("What saving this would do"), "{page}");
        let count_at = page.find("id=\"preview-lines\">").expect("the preview counts new lines") + "id=\"preview-lines\">".len();
        let previewed: u64 = page[count_at..].split('<').next().unwrap().parse().unwrap();
        assert_eq!(rules().await.unwrap(), rules_before);
        assert_eq!(lines(&app).await, lines_before);
        let marker = "name=\"fingerprint\" value=\"";
        let at = page.find(marker).unwrap() + marker.len();
        let fingerprint = page[at..at + 64].to_owned();

        let mut save = base("8", "35", "save");
        save.push(("fingerprint", fingerprint));
        let fields: Vec<(&str, &str)> = save.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let saved = finance.post_form(&form, &fields).await;
        assert_eq!(saved.status(), 303);
        assert_eq!(rules().await.unwrap(), rules_before + 1);
        let corrections = line::Entity::find()
            .filter(line::Column::Kind.eq("correction"))
            .filter(line::Column::Explanation.contains("Wireless push"))
            .count(&app.pool)
            .await
            .unwrap();
        assert!(corrections > 0, "the higher Wireless rate corrects lines already computed");
        assert_eq!(order_net(&app, &returned_order).await, 0, "one reversal, not one per period");
        assert_eq!(lines(&app).await, lines_before + previewed, "saving writes exactly what the preview showed");

        // A new version may not overlap the one in force.
        let rule = portico::commissions::entity::rule::Entity::find()
            .filter(portico::commissions::entity::rule::Column::Name.eq("Wireless push"))
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap();
        let version_form = format!("/commissions/rules/{}/versions/new", rule.id);
        let page = finance.get(&version_form).await.text().await.unwrap();
        assert!(page.contains("value=\"8\""), "the form starts from the version in force");
        let mut overlap = base("9", "35", "preview");
        overlap[2].1 = start.clone();
        let fields: Vec<(&str, &str)> = overlap.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let page = finance.post_form(&version_form, &fields).await.text().await.unwrap();
        assert!(page.contains("a new version must start after it"), "{page}");

        // Two people save rules of the same precedence at once: one is saved, the other is told
        // why in words; neither meets a server error.
        let fingerprint_of = |page: &str| {
            let at = page.find(marker).unwrap() + marker.len();
            page[at..at + 64].to_owned()
        };
        let mut saves = Vec::new();
        for name in ["Wireless spring", "Wireless summer"] {
            let mut fields = base("7", "37", "preview");
            fields[0].1 = name.to_owned();
            let (_, page) = submit(fields.clone()).await;
            fields.last_mut().unwrap().1 = "save".to_owned();
            fields.push(("fingerprint", fingerprint_of(&page)));
            saves.push(fields);
        }
        let ((first, first_page), (second, second_page)) =
            tokio::join!(submit(saves[0].clone()), submit(saves[1].clone()));
        let mut statuses = [first.as_u16(), second.as_u16()];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 303], "{first_page}\n{second_page}");
        let refused = if first.as_u16() == 200 { first_page } else { second_page };
        assert!(refused.contains("already has precedence 37"), "{refused}");
    }
}

on_both_databases! {
    async fn a_later_tier_change_does_not_re_rank_what_was_sold_before(app) {
        use portico::orders::entity::{order_line, product};
        use portico::orgs::entity::organization;
        use sea_orm::ActiveValue::Set;
        let app = app.with_demo_program().await;
        let plan = resale_plan(&app).await;
        let order = shipped_order(&app).await;
        pay_order(&app, &order).await;
        let finance = app.signed_in(FINANCE).await;
        let page = preview(&finance, &plan, &this_month()).await;
        assert_eq!(apply(&finance, &plan, &this_month(), &fingerprint_in(&page)).await.status(), 303);
        let earned = order_net(&app, &order).await;
        assert!(earned > 0);

        // After the sale Kessler IT drops to Silver and becomes a referral partner, and the
        // products it sold move to another product line: the order keeps the facts it was
        // placed with, so no rule matches it differently.
        organization::Entity::update(organization::ActiveModel {
            id: Set(order.partner_id),
            tier: Set(Some("Silver".to_owned())),
            partner_type: Set(Some("referral".to_owned())),
            ..Default::default()
        })
        .exec(&app.pool)
        .await
        .unwrap();
        let sold = order_line::Entity::find().filter(order_line::Column::OrderId.eq(order.id)).all(&app.pool).await.unwrap();
        for line in &sold {
            product::Entity::update(product::ActiveModel {
                id: Set(line.product_id),
                product_line: Set("Moved elsewhere".to_owned()),
                ..Default::default()
            })
            .exec(&app.pool)
            .await
            .unwrap();
        }
        let page = preview(&finance, &plan, &this_month()).await;
        assert!(page.contains("Nothing to write"), "{page}");
        assert_eq!(order_net(&app, &order).await, earned);
        let placed = sales_order::Entity::find_by_id(order.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(placed.partner_tier.as_deref(), Some("Gold"));
    }
}

on_both_databases! {
    async fn a_correction_carries_into_the_next_pending_statements_opening(app) {
        use portico::commissions::entity::event;
        use sea_orm::{ActiveModelTrait, ActiveValue::Set};
        let app = app.with_demo_program().await;
        // A pending statement whose partner's statement of the period before is approved or paid.
        let all = statement::Entity::find()
            .filter(statement::Column::Status.ne("corrected"))
            .order_by_asc(statement::Column::PeriodStart)
            .all(&app.pool)
            .await
            .unwrap();
        let (earlier, pending) = all
            .iter()
            .filter(|s| s.status == "pending")
            .find_map(|pending| {
                let earlier = all
                    .iter()
                    .filter(|e| e.partner_id == pending.partner_id && e.plan_id == pending.plan_id && e.period_start < pending.period_start)
                    .max_by_key(|e| e.period_start)?;
                matches!(earlier.status.as_str(), "approved" | "paid").then(|| (earlier.clone(), pending.clone()))
            })
            .expect("the demo has a pending statement after a settled one");

        // Finance finds the earlier period overpaid: a line of EUR -100,000 lands on its correction.
        line::ActiveModel {
            explanation: Set("Clawback of a duplicated rebate".to_owned()),
            reason: Set(Some("Duplicated rebate".to_owned())),
            author_label: Set("Finance".to_owned()),
            ..crate::helpers::commission_line_row(
                (earlier.partner_id, earlier.plan_id),
                &earlier.currency,
                -10_000_000,
                earlier.period_end,
            )
        }
        .insert(&app.pool)
        .await
        .unwrap();
        let finance = app.signed_in(FINANCE).await;
        let corrected = finance
            .post_form(&format!("/commissions/statements/{}/correct", earlier.id), &[("reason", "Duplicated rebate clawed back")])
            .await;
        assert_eq!(corrected.status(), 303);
        let revision = statement::Entity::find()
            .filter(statement::Column::SupersedesId.eq(earlier.id))
            .one(&app.pool)
            .await
            .unwrap()
            .expect("a revision corrects the earlier statement");
        assert!(revision.total_minor < 0);

        let refreshed = statement::Entity::find_by_id(pending.id).one(&app.pool).await.unwrap().unwrap();
        let carried = revision.total_minor.min(0) + revision.payout_minor.min(0);
        assert_eq!(refreshed.opening_minor, carried, "the correction reaches the next pending statement");
        assert_eq!(refreshed.total_minor, carried + refreshed.lines_minor);
        assert_eq!(refreshed.payout_minor, refreshed.total_minor.max(0) - refreshed.paid_before_minor);
        let told = event::Entity::find()
            .filter(event::Column::StatementId.eq(pending.id))
            .filter(event::Column::Kind.eq("opening"))
            .count(&app.pool)
            .await
            .unwrap();
        assert_eq!(told, 1, "its history says why the opening moved");
        let page = finance.get(&format!("/commissions/statements/{}", pending.id)).await.text().await.unwrap();
        assert!(page.contains("Opening balance:"), "{page}");
    }
}

on_both_databases! {
    async fn with_many_partners_the_lists_name_the_chosen_one_instead_of_listing_all(app) {
        use portico::orgs::entity::organization;
        let app = app.with_demo_program().await;
        let many = (0..201).map(|n| crate::helpers::partner_row(&format!("Bulk Reseller {n:03}"), "Silver"));
        organization::Entity::insert_many(many).exec(&app.pool).await.unwrap();
        let kessler = crate::tenancy::id_of(&app, "Kessler IT Solutions").await;
        let finance = app.signed_in(FINANCE).await;

        let all = finance.get("/commissions").await.text().await.unwrap();
        assert!(!all.contains("<select id=\"partner\""), "no pick list of 200+ partners");
        let chosen = finance.get(&format!("/commissions?partner={kessler}")).await.text().await.unwrap();
        assert!(chosen.contains("<span class=\"chip\">Kessler IT Solutions</span>"), "{chosen}");
        assert!(!chosen.contains("<td>Atlas"), "only Kessler IT's statements");
        let partner_page = finance.get(&format!("/partners/{kessler}")).await.text().await.unwrap();
        assert!(partner_page.contains(&format!("href=\"/commissions?partner={kessler}\"")));
    }
}

on_both_databases! {
    async fn finance_adjusts_a_partners_balance_and_the_next_statement_carries_it(app) {
        let app = app.with_demo_program().await;
        let plan = resale_plan(&app).await;
        let kessler = crate::tenancy::id_of(&app, "Kessler IT Solutions").await;
        let vendor = crate::tenancy::id_of(&app, portico::demo::VENDOR_NAME).await;
        let finance = app.signed_in(FINANCE).await;
        let form = finance.get(&format!("/commissions/adjustments/new?partner={kessler}&plan={}", plan.id)).await;
        assert_eq!(form.status(), 200);
        let form = form.text().await.unwrap();
        assert!(form.contains("Kessler IT Solutions"));
        assert!(form.contains(&format!("<option value=\"{}\" selected>", plan.id)), "the plan comes from the link");
        // Only partner organisations finance reaches can be adjusted.
        for other in [vendor.as_str(), "not-an-id", &uuid::Uuid::now_v7().to_string()] {
            assert_eq!(finance.get(&format!("/commissions/adjustments/new?partner={other}")).await.status(), 404, "{other}");
        }
        let kessler_admin = app.signed_in(KESSLER_ADMIN).await;
        let plan_id = plan.id.to_string();
        let fields = |plan: &'static str, amount: &'static str, reason: &'static str| {
            vec![("partner", kessler.clone()), ("plan", plan.to_owned()), ("amount", amount.to_owned()), ("reason", reason.to_owned())]
        };
        let refused = post_adjustment(&kessler_admin, fields("", "80.00", "A partner adjusts itself")).await;
        assert_eq!(refused.status(), 403);

        // Bad input is refused in words and writes nothing.
        let before = lines(&app).await;
        let mut bad = vec![
            (fields("", "80.00", "Bonus"), "Choose the plan"),
            (fields("", "0", "Bonus"), "non-zero amount in EUR"),
            (fields("", "eighty", "Bonus"), "Adjustment:"),
            (fields("", "-80.00", "  "), "Say why you adjust the balance"),
        ];
        for (fields, _) in bad.iter_mut().skip(1) {
            fields[1].1 = plan_id.clone();
        }
        for (fields, expected) in bad {
            let page = post_adjustment(&finance, fields).await;
            assert_eq!(page.status(), 200);
            let page = page.text().await.unwrap();
            assert!(page.contains(expected), "{expected}: {page}");
        }
        // Every problem at once: each beside its field, and a summary linking to them.
        let page = post_adjustment(&finance, fields("", "", "")).await.text().await.unwrap();
        for (field, message) in [("plan", "Choose the plan"), ("amount", "Give a non-zero amount"), ("reason", "Say why you adjust the balance")] {
            assert!(page.contains(&format!("href=\"#{field}\"")), "{field}: {page}");
            assert!(page.contains(&format!("<p class=\"field-error\">{message}")), "{field}: {page}");
        }
        assert_eq!(lines(&app).await, before);

        let mut good = fields("", "-80.00", "Demo kit not returned");
        good[1].1 = plan_id.clone();
        let written = post_adjustment(&finance, good).await;
        assert_eq!(written.status(), 303);
        let adjustment = line::Entity::find()
            .filter(line::Column::Reason.eq("Demo kit not returned"))
            .one(&app.pool)
            .await
            .unwrap()
            .expect("the adjustment line");
        assert_eq!(written.headers()["location"].to_str().unwrap().split('?').next().unwrap(), format!("/commissions/lines/{}", adjustment.id));
        assert_eq!((adjustment.kind.as_str(), adjustment.amount_minor, adjustment.order_id, adjustment.statement_id), ("adjustment", -8_000, None, None));
        assert_eq!(adjustment.currency, "EUR");
        assert_eq!(adjustment.author_label, "Tom Becker (Northwind Networks)");
        let audited = portico::audit::Entity::find()
            .filter(portico::audit::Column::Action.eq("commission.partner_adjusted"))
            .count(&app.pool)
            .await
            .unwrap();
        assert_eq!(audited, 1);

        // The partner's next statement of the plan takes it, under "Adjustments".
        let today = time::OffsetDateTime::now_utc().date();
        let period = Period::containing(today, PeriodKind::Monthly);
        let runner = store::Actor { user_id: None, label: "the run after the month".into() };
        store::generate_statements(&app.pool, &accrual::Plan::from_row(plan.clone()).unwrap(), period, &runner, time::OffsetDateTime::now_utc())
            .await
            .unwrap();
        let carried = line::Entity::find_by_id(adjustment.id).one(&app.pool).await.unwrap().unwrap();
        let statement_id = carried.statement_id.expect("on the next statement");
        let next = statement::Entity::find_by_id(statement_id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(next.period_start, period.start);
        let page = kessler_admin.get(&format!("/commissions/statements/{}", next.id)).await.text().await.unwrap();
        assert!(page.contains("Adjustments"));
        assert!(page.contains("Demo kit not returned"));
        assert!(!page.contains("/commissions/adjustments/new"), "partners are not offered finance's form");
        let page = finance.get(&format!("/commissions/statements/{}", next.id)).await.text().await.unwrap();
        assert!(page.contains(&format!("/commissions/adjustments/new?partner={kessler}&amp;plan={}", plan.id)));
    }
}

on_both_databases! {
    async fn the_daily_run_settles_what_came_in_late_and_schedules_the_next(app) {
        use portico::platform::jobs::{self, JobContext};
        let app = app.with_demo_program().await;
        // An order paid last month, recorded only now: no run has seen it.
        let order = shipped_order(&app).await;
        pay_order(&app, &order).await;
        paid_last_month(&app, &order).await;
        assert_eq!(order_net(&app, &order).await, 0);

        let context = JobContext {
            db: app.pool.clone(),
            mailer: portico::platform::mail::Mailer::new(None).unwrap(),
            base_url: app.url(""),
        };
        portico::commissions::jobs::settle(context.clone(), serde_json::json!({})).await.unwrap();
        assert!(order_net(&app, &order).await > 0, "the run accrued the late order");
        let mid = mid_last_month().date();
        for written in line::Entity::find().filter(line::Column::OrderId.eq(order.id)).all(&app.pool).await.unwrap() {
            let on = statement::Entity::find_by_id(written.statement_id.expect("on a statement")).one(&app.pool).await.unwrap().unwrap();
            assert!(on.period_start <= mid && mid <= on.period_end, "on last month's statement");
            assert_eq!(on.status, "pending", "waiting for finance");
        }
        let audited = portico::audit::Entity::find()
            .filter(portico::audit::Column::Action.eq("commission.settled"))
            .count(&app.pool)
            .await
            .unwrap();
        assert!(audited >= 1, "the run is on the record");
        // The next run is queued for the next 02:00 UTC, once; a second run now writes nothing.
        let after = time::OffsetDateTime::now_utc() + time::Duration::minutes(1);
        let mut next = after.date().with_hms(2, 0, 0).unwrap().assume_utc();
        if next <= after {
            next += time::Duration::days(1);
        }
        let queued = jobs::entity::Entity::find()
            .filter(jobs::entity::Column::Kind.eq(portico::commissions::jobs::SETTLE))
            .filter(jobs::entity::Column::State.eq("pending"))
            .filter(jobs::entity::Column::RunAt.eq(next))
            .count(&app.pool)
            .await
            .unwrap();
        assert_eq!(queued, 1);
        let before = lines(&app).await;
        portico::commissions::jobs::settle(context, serde_json::json!({})).await.unwrap();
        assert_eq!(lines(&app).await, before);
    }
}
