//! Commissions: accrual previewed then applied once, explained line by line, reversed when an
//! order comes back; statements approved by someone other than their preparer, then paid;
//! partners see only their own.

use portico::commissions::accrual;
use portico::commissions::entity::{line, plan, statement};
use portico::commissions::model::{Period, PeriodKind};
use portico::orders::entity::sales_order;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};

use crate::helpers::{TestApp, Visitor, on_both_databases};

const FINANCE: &str = "tom.becker@northwind.example";
const SECOND_FINANCE: &str = "nadia.ruiz@northwind.example";
const OPERATIONS: &str = "olivia.grant@northwind.example";
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

fn this_month() -> String {
    let today = time::OffsetDateTime::now_utc().date();
    format!("{}-{:02}", today.year(), u8::from(today.month()))
}

fn fingerprint_in(page: &str) -> String {
    let marker = "name=\"fingerprint\" value=\"";
    let start = page.find(marker).expect("the preview offers to apply") + marker.len();
    page[start..start + 64].to_owned()
}

async fn preview(finance: &Visitor, plan: &plan::Model) -> String {
    let page = finance
        .post_form(
            "/commissions/run",
            &[("plan", &plan.id.to_string()), ("period", &this_month())],
        )
        .await;
    assert_eq!(page.status(), 200);
    page.text().await.unwrap()
}

async fn apply(finance: &Visitor, plan: &plan::Model, fingerprint: &str) -> reqwest::Response {
    finance
        .post_form(
            "/commissions/run/apply",
            &[
                ("plan", &plan.id.to_string()),
                ("period", &this_month()),
                ("fingerprint", fingerprint),
            ],
        )
        .await
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
        let page = preview(&finance, &plan).await;
        assert!(page.contains(&format!("{} line 1", order.number)), "the paid order is in the preview");
        assert!(page.contains("under &#39;Gold volume&#39; v1") || page.contains("under &#39;Cloud licences&#39; v1"), "Kessler IT is a Gold partner");
        assert_eq!(lines(&app).await, before, "a preview writes nothing");

        // A stale preview is refused and shown anew.
        let refused = apply(&finance, &plan, &"0".repeat(64)).await;
        assert_eq!(refused.status(), 200);
        assert!(refused.text().await.unwrap().contains("changed since the preview, so nothing was written"));
        assert_eq!(lines(&app).await, before);

        let applied = apply(&finance, &plan, &fingerprint_in(&page)).await;
        assert_eq!(applied.status(), 303);
        let written = lines(&app).await - before;
        assert!(written > 0);
        let earned = order_net(&app, &order).await;
        assert!(earned > 0, "the order earned commission");

        // Running again writes nothing: accrual is idempotent.
        let page = preview(&finance, &plan).await;
        assert!(page.contains("Nothing to write"), "{page}");
        let today = time::OffsetDateTime::now_utc().date();
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
        let page = preview(&finance, &plan).await;
        assert!(page.contains("Reversal of"), "{page}");
        let applied = apply(&finance, &plan, &fingerprint_in(&page)).await;
        assert_eq!(applied.status(), 303);
        assert_eq!(order_net(&app, &order).await, 0, "a reversal nets to zero");
        let kept = line::Entity::find_by_id(earned_line.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(kept, earned_line, "the earned line is untouched");
        assert!(preview(&finance, &plan).await.contains("Nothing to write"));
    }

    async fn statements_need_a_second_person_to_approve_then_are_paid(app) {
        let app = app.with_demo_program().await;
        let plan = resale_plan(&app).await;
        let order = shipped_order(&app).await;
        pay_order(&app, &order).await;
        let finance = app.signed_in(FINANCE).await;
        let page = preview(&finance, &plan).await;
        assert_eq!(apply(&finance, &plan, &fingerprint_in(&page)).await.status(), 303);
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
        assert_eq!(second.post_form(&format!("{path}/approve"), &[]).await.status(), 303);
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
        let list = kessler.get("/commissions").await.text().await.unwrap();
        assert!(list.contains(&prepared.number));
        // Another partner's finance person learns nothing of it.
        let outsider = app.signed_in(OUTSIDER).await;
        assert_eq!(outsider.get(&path).await.status(), 404);
        assert!(!outsider.get("/commissions").await.text().await.unwrap().contains(&prepared.number));
    }

    async fn partners_read_the_rules_that_apply_to_them(app) {
        let app = app.with_demo_program().await;
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
}
