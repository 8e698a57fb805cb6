//! Inbound ERP sync through the API: a result per record, invalid records refused with their
//! fields, batches sent again changing nothing, updates on the timeline, a portal change meeting
//! an ERP update landing in the conflict queue with both versions, and the source's status.

use portico::integrations::sync::entity::{conflict, source};
use portico::orders::entity::sales_order;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
use serde_json::{Value, json};

use crate::api::make_token;
use crate::helpers::{TestApp, on_both_databases};

const VENDOR_ADMIN: &str = "alex.morgan@northwind.example";
const OPERATIONS: &str = "olivia.grant@northwind.example";
const PARTNER_ADMIN: &str = "jana.weber@brightline.example";

async fn partner_id(app: &TestApp, name: &str) -> String {
    portico::orgs::entity::organization::Entity::find()
        .filter(portico::orgs::entity::organization::Column::Name.eq(name))
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

fn record(reference: &str, partner: &str, status: &str, promised: Option<&str>) -> Value {
    json!({
        "external_reference": reference,
        "partner_id": partner,
        "customer_name": "Stadtwerke Kiel",
        "currency": "EUR",
        "status": status,
        "ordered_at": "2026-11-20T09:30:00Z",
        "promised_date": promised,
        "lines": [{ "sku": "NW-SW-1000", "quantity": 3, "unit_price_minor": 120000, "discount_bp": 1000 }],
    })
}

async fn sync(app: &TestApp, token: &str, orders: Value) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/api/v1/sync/erp/orders"))
        .bearer_auth(token)
        .json(&json!({ "orders": orders }))
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

fn outcomes(report: &Value) -> Vec<String> {
    report["results"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["outcome"].as_str().unwrap().to_owned())
        .collect()
}

async fn erp_orders(app: &TestApp) -> u64 {
    sales_order::Entity::find()
        .filter(sales_order::Column::SourceReference.starts_with("SAP-"))
        .count(&app.pool)
        .await
        .unwrap()
}

on_both_databases! {
    async fn erp_records_are_applied_once_and_conflicts_wait_for_a_person(app) {
        let app = app.with_demo_program().await;
        let admin = app.signed_in(VENDOR_ADMIN).await;
        let token = make_token(&admin, "SAP", &["orders.read", "orders.approve"]).await;
        let brightline = partner_id(&app, "Brightline Distribution").await;
        let demo_feed = source::Entity::find().filter(source::Column::Key.eq("erp")).one(&app.pool).await.unwrap().map_or(0, |s| s.received);

        let mut bad = record("SAP-2", &brightline, "lost", None);
        bad["lines"][0]["sku"] = json!("NW-NOPE");
        let batch = json!([
            record("SAP-1", &brightline, "confirmed", Some("2026-12-10")),
            bad,
            record("SAP-3", "0196a0c0-0000-7000-8000-000000000000", "confirmed", None),
        ]);
        let (status, report) = sync(&app, &token, batch.clone()).await;
        assert_eq!(status, 200, "{report}");
        assert_eq!(outcomes(&report), ["created", "invalid", "invalid"]);
        let fields: Vec<&str> = report["results"][1]["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["orders[1].status", "orders[1].lines[0].sku"]);
        assert_eq!(report["results"][2]["errors"][0]["field"], "orders[2].partner_id");
        assert_eq!(report["counts"]["created"], 1);
        let order_id = report["results"][0]["order_id"].as_str().unwrap().to_owned();
        let order = sales_order::Entity::find_by_id(uuid::Uuid::parse_str(&order_id).unwrap()).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(order.total_minor, 324_000, "3 × 1,200.00 less 10 %");
        assert_eq!(order.status, "confirmed");
        assert!(order.synced_at.is_some());

        // The same batch again: nothing new.
        let (_, again) = sync(&app, &token, batch).await;
        assert_eq!(outcomes(&again), ["unchanged", "invalid", "invalid"]);
        assert_eq!(erp_orders(&app).await, 1);

        // An ERP update is applied and told on the timeline.
        let (_, shipped) = sync(&app, &token, json!([record("SAP-1", &brightline, "shipped", Some("2026-12-12"))])).await;
        assert_eq!(outcomes(&shipped), ["updated"]);
        let page = admin.get(&format!("/orders/{order_id}")).await.text().await.unwrap();
        assert!(page.contains("SAP sync") || page.contains("ERP sync"), "the timeline names the source");
        assert!(page.contains("synced"), "the page shows the data status");
        let api: Value = app.client.get(app.url(&format!("/api/v1/orders/{order_id}"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(api["status"], "shipped");
        assert_eq!(api["promised_date"], "2026-12-12");

        // Operations blocks the order in the portal; the ERP, unaware, says it was delivered.
        let blocked = app.signed_in(OPERATIONS).await
            .post_form(&format!("/orders/{order_id}/block"), &[("reason", "Address check"), ("owner", "Brightline logistics")])
            .await;
        assert_eq!(blocked.status(), 303);
        let delivered = json!([record("SAP-1", &brightline, "delivered", Some("2026-12-12"))]);
        let (_, report) = sync(&app, &token, delivered.clone()).await;
        assert_eq!(outcomes(&report), ["conflict"]);
        let conflict_id = report["results"][0]["conflict_id"].as_str().unwrap().to_owned();
        let (_, repeated) = sync(&app, &token, delivered).await;
        assert_eq!(repeated["results"][0]["conflict_id"], conflict_id.as_str(), "the same conflict, not a second");
        assert_eq!(conflict::Entity::find().count(&app.pool).await.unwrap(), 1);
        let unchanged = sales_order::Entity::find_by_id(order.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(unchanged.status, "shipped", "nothing applied blindly");

        let operations = app.signed_in(OPERATIONS).await;
        let queue = operations.get("/integrations/conflicts").await.text().await.unwrap();
        assert!(queue.contains(&order.number) && queue.contains("delivered") && queue.contains("shipped"), "both versions side by side");
        let resolved = operations.post_form(&format!("/integrations/conflicts/{conflict_id}/resolve"), &[("choice", "source")]).await;
        assert_eq!(resolved.status(), 303);
        let applied = sales_order::Entity::find_by_id(order.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(applied.status, "delivered");
        let settled = conflict::Entity::find().one(&app.pool).await.unwrap().unwrap();
        assert_eq!(settled.state, "source_applied");
        assert!(!operations.get("/integrations/conflicts").await.text().await.unwrap().contains(&order.number));

        // The source's status: counts, and an honest warning once it is overdue.
        let status = operations.get("/integrations").await.text().await.unwrap();
        assert!(status.contains(&format!("{} received", demo_feed + 9)), "{status}");
        let erp = source::Entity::find().filter(source::Column::Key.eq("erp")).one(&app.pool).await.unwrap().unwrap();
        source::Entity::update(source::ActiveModel {
            id: Set(erp.id),
            last_success_at: Set(Some(portico::platform::time::now() - time::Duration::hours(3))),
            ..Default::default()
        })
        .exec(&app.pool)
        .await
        .unwrap();
        assert!(operations.get("/integrations").await.text().await.unwrap().contains("overdue"));
        let detail = operations.get(&format!("/orders/{order_id}")).await.text().await.unwrap();
        assert!(detail.contains("has not synced within its expected interval"), "an open order from an overdue source says so");

        // An admin expects the source hourly: it is overdue; daily, it is not.
        let renamed = admin.post_form(&format!("/integrations/sources/{}", erp.id), &[("name", "Northwind S/4"), ("stale_after_minutes", "1440")]).await;
        assert_eq!(renamed.status(), 303);
        let status = operations.get("/integrations").await.text().await.unwrap();
        assert!(status.contains("Northwind S/4") && !status.contains("overdue"), "{status}");
        let refused = admin.post_form(&format!("/integrations/sources/{}", erp.id), &[("name", ""), ("stale_after_minutes", "0")]).await;
        assert!(refused.headers()["location"].to_str().unwrap().contains("Nothing"));

        // Partners do not sync.
        let partner = make_token(&app.signed_in(PARTNER_ADMIN).await, "Mine", &["orders.read"]).await;
        let (status, problem) = sync(&app, &partner, json!([])).await;
        assert_eq!(status, 403, "{problem}");
    }
}

fn csv_feed(second_sku: &str) -> Vec<u8> {
    format!(
        "external_reference,partner,customer_name,currency,status,promised_date,sku,quantity,unit_price_minor,discount_bp\n\
         SAP-F1,Brightline Distribution,Hafen Bremen,EUR,confirmed,2026-12-01,NW-SW-1000,2,120000,0\n\
         SAP-F1,Brightline Distribution,Hafen Bremen,EUR,confirmed,2026-12-01,NW-SW-1000,1,120000,500\n\
         SAP-F2,Brightline Distribution,Klinikum Kiel,EUR,shipped,,{second_sku},1,50000,0\n"
    )
    .into_bytes()
}

on_both_databases! {
    async fn operations_import_the_same_records_from_a_file(app) {
        let app = app.with_demo_program().await;
        let operations = app.signed_in(OPERATIONS).await;
        let before = erp_orders(&app).await;

        // One order is invalid: by default, nothing is imported.
        let file = ("feed.csv", "text/csv", csv_feed("NW-NOPE"));
        let page = operations.post_file("/integrations/import", &[("source", "erp"), ("apply", "none")], file.clone()).await.text().await.unwrap();
        assert!(page.contains("not_applied") && page.contains("no product has SKU"), "{page}");
        assert_eq!(erp_orders(&app).await, before, "all or nothing");

        // The person chooses to keep the valid ones.
        let page = operations.post_file("/integrations/import", &[("source", "erp"), ("apply", "each")], file).await.text().await.unwrap();
        assert!(page.contains("1 created") && page.contains("1 invalid"), "{page}");
        assert_eq!(erp_orders(&app).await, before + 1);
        let two_lines = sales_order::Entity::find()
            .filter(sales_order::Column::SourceReference.eq("SAP-F1"))
            .one(&app.pool).await.unwrap().unwrap();
        assert_eq!(two_lines.total_minor, 240_000 + 114_000, "two rows, one order");

        // Fixed and imported again as an XLSX workbook: the first is unchanged, the second made.
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        let text = String::from_utf8(csv_feed("NW-SW-1000")).unwrap();
        for (row, line) in text.lines().enumerate() {
            for (column, cell) in line.split(',').enumerate() {
                let (row, column) = (u32::try_from(row).unwrap(), u16::try_from(column).unwrap());
                match cell.parse::<f64>() {
                    Ok(number) if row > 0 && column >= 7 => sheet.write_number(row, column, number).unwrap(),
                    _ => sheet.write_string(row, column, cell).unwrap(),
                };
            }
        }
        let bytes = workbook.save_to_buffer().unwrap();
        let xlsx = ("feed.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", bytes);
        let page = operations.post_file("/integrations/import", &[("source", "erp"), ("apply", "none")], xlsx.clone()).await.text().await.unwrap();
        assert!(page.contains("1 created") && page.contains("1 unchanged"), "{page}");
        let page = operations.post_file("/integrations/import", &[("source", "erp"), ("apply", "none")], xlsx).await.text().await.unwrap();
        assert!(page.contains("2 unchanged"), "importing again changes nothing: {page}");
        assert_eq!(erp_orders(&app).await, before + 2);

        // A file that cannot be read is refused whole, with the line.
        let broken = ("feed.csv", "text/csv", b"external_reference,partner,customer_name,currency,status,sku,quantity,unit_price_minor,discount_bp\nSAP-F9,Brightline Distribution,X,EUR,confirmed,NW-SW-1000,many,1,0\n".to_vec());
        let page = operations.post_file("/integrations/import", &[("apply", "each")], broken).await.text().await.unwrap();
        assert!(page.contains("Line 2: quantity") && page.contains("Nothing was imported"), "{page}");
    }
}

async fn post_document(
    app: &TestApp,
    token: &str,
    path: &str,
    content: &'static [u8],
) -> (u16, Value) {
    let response = app
        .client
        .post(app.url(path))
        .bearer_auth(token)
        .header("content-type", "application/pdf")
        .body(content)
        .send()
        .await
        .unwrap();
    (response.status().as_u16(), response.json().await.unwrap())
}

on_both_databases! {
    async fn erp_line_changes_and_documents_follow_the_source(app) {
        use portico::orders::entity::{order_event, order_line};
        use sea_orm::QueryOrder;
        let app = app.with_demo_program().await;
        let admin = app.signed_in(VENDOR_ADMIN).await;
        let token = make_token(&admin, "SAP", &["orders.read", "orders.approve"]).await;
        let brightline = partner_id(&app, "Brightline Distribution").await;
        let mut first = record("SAP-L1", &brightline, "confirmed", None);
        first["lines"] = json!([
            { "sku": "NW-SW-1000", "quantity": 3, "unit_price_minor": 120000, "discount_bp": 1000 },
            { "sku": "NW-SW-1010", "quantity": 1, "unit_price_minor": 50000 },
        ]);
        let (_, report) = sync(&app, &token, json!([first])).await;
        assert_eq!(outcomes(&report), ["created"], "{report}");
        let order_id = uuid::Uuid::parse_str(report["results"][0]["order_id"].as_str().unwrap()).unwrap();
        let lines_of = || async {
            order_line::Entity::find().filter(order_line::Column::OrderId.eq(order_id)).order_by_asc(order_line::Column::Position).all(&app.pool).await.unwrap()
        };
        let before = lines_of().await;
        assert_eq!(before.len(), 2);

        // The ERP changes a line's quantity, drops a line and adds one.
        let mut second = record("SAP-L1", &brightline, "confirmed", None);
        second["lines"] = json!([
            { "sku": "NW-SW-1000", "quantity": 5, "unit_price_minor": 120000, "discount_bp": 1000 },
            { "sku": "NW-SW-1090", "quantity": 4, "unit_price_minor": 10000 },
        ]);
        let (_, report) = sync(&app, &token, json!([second.clone()])).await;
        assert_eq!(outcomes(&report), ["updated"], "{report}");
        let after = lines_of().await;
        assert_eq!(after.len(), 3, "a dropped line stays, at quantity 0");
        assert_eq!((after[0].id, after[0].quantity, after[0].total_minor), (before[0].id, 5, 540_000), "the same line, changed in place");
        assert_eq!((after[1].sku.as_str(), after[1].quantity, after[1].total_minor), ("NW-SW-1010", 0, 0));
        assert_eq!((after[2].sku.as_str(), after[2].position, after[2].total_minor), ("NW-SW-1090", 3, 40_000));
        let order = sales_order::Entity::find_by_id(order_id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(order.total_minor, 580_000);
        let events = order_event::Entity::find().filter(order_event::Column::OrderId.eq(order_id)).filter(order_event::Column::Kind.eq("lines")).all(&app.pool).await.unwrap();
        assert_eq!(events.len(), 1);
        assert!(events[0].to_value.as_deref().unwrap().starts_with("2 lines"), "{:?}", events[0].to_value);
        let (_, again) = sync(&app, &token, json!([second])).await;
        assert_eq!(outcomes(&again), ["unchanged"], "the same lines again change nothing");

        // A SKU on two lines: the second line's change lands on the second line.
        let mut twice = record("SAP-L2", &brightline, "confirmed", None);
        twice["lines"] = json!([
            { "sku": "NW-SW-1000", "quantity": 2, "unit_price_minor": 120000 },
            { "sku": "NW-SW-1000", "quantity": 3, "unit_price_minor": 120000, "discount_bp": 500 },
        ]);
        let (_, made) = sync(&app, &token, json!([twice.clone()])).await;
        let twice_id = uuid::Uuid::parse_str(made["results"][0]["order_id"].as_str().unwrap()).unwrap();
        let rows = || async {
            order_line::Entity::find().filter(order_line::Column::OrderId.eq(twice_id)).order_by_asc(order_line::Column::Position).all(&app.pool).await.unwrap()
        };
        let first_rows = rows().await;
        twice["lines"][1]["quantity"] = json!(5);
        let (_, changed) = sync(&app, &token, json!([twice.clone()])).await;
        assert_eq!(outcomes(&changed), ["updated"]);
        let changed_rows = rows().await;
        assert_eq!(changed_rows.len(), 2);
        assert_eq!((changed_rows[0].id, changed_rows[0].quantity), (first_rows[0].id, 2));
        assert_eq!((changed_rows[1].id, changed_rows[1].quantity), (first_rows[1].id, 5));
        let (_, again) = sync(&app, &token, json!([twice])).await;
        assert_eq!(outcomes(&again), ["unchanged"]);

        // Documents by the order's reference: the same file twice is one document.
        let path = "/api/v1/sync/erp/orders/SAP-L1/documents?kind=invoice&file_name=INV-2026-0042.pdf";
        let (status, created) = post_document(&app, &token, path, b"%PDF-1.4 invoice 42").await;
        assert_eq!(status, 201, "{created}");
        assert_eq!(created["outcome"], "created");
        assert_eq!(created["document"]["kind"], "invoice");
        let (status, repeated) = post_document(&app, &token, path, b"%PDF-1.4 invoice 42").await;
        assert_eq!(status, 200);
        assert_eq!(repeated["outcome"], "unchanged");
        assert_eq!(repeated["document"]["id"], created["document"]["id"]);
        let listed: Value = app.client.get(app.url(&format!("/api/v1/orders/{order_id}/documents"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 1);
        let document_id = created["document"]["id"].as_str().unwrap();
        let file = app.client.get(app.url(&format!("/api/v1/orders/{order_id}/documents/{document_id}"))).bearer_auth(&token).send().await.unwrap();
        assert_eq!(file.headers()["content-type"], "application/pdf");
        assert_eq!(&file.bytes().await.unwrap()[..], b"%PDF-1.4 invoice 42");
        let (_, second_note) = post_document(&app, &token, "/api/v1/sync/erp/orders/SAP-L1/documents?kind=delivery_note&file_name=DN-7.pdf", b"%PDF-1.4 delivery").await;
        assert_eq!(second_note["document"]["kind"], "delivery note");
        // The same file sent several times at once is still one document.
        let credit = "/api/v1/sync/erp/orders/SAP-L1/documents?kind=credit_note&file_name=CN-3.pdf";
        let body = b"%PDF-1.4 credit note 3";
        let at_once = tokio::join!(
            post_document(&app, &token, credit, body),
            post_document(&app, &token, credit, body),
            post_document(&app, &token, credit, body),
            post_document(&app, &token, credit, body),
        );
        let mut statuses = [at_once.0.0, at_once.1.0, at_once.2.0, at_once.3.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 200, 200, 201]);

        let (status, refused) = post_document(&app, &token, "/api/v1/sync/erp/orders/SAP-L1/documents?kind=lost&file_name=a/b.pdf", b"").await;
        assert_eq!(status, 422);
        let fields: Vec<&str> = refused["errors"].as_array().unwrap().iter().map(|e| e["field"].as_str().unwrap()).collect();
        assert_eq!(fields, ["kind", "file_name", "body"]);
        let (status, mismatch) = post_document(&app, &token, "/api/v1/sync/erp/orders/SAP-L1/documents?kind=invoice&file_name=INV-9.pdf", b"MZ\x90\x00 not a pdf").await;
        assert_eq!(status, 422, "{mismatch}");
        assert_eq!(mismatch["errors"][0]["field"], "body");
        let (status, _) = post_document(&app, &token, "/api/v1/sync/erp/orders/SAP-NONE/documents?kind=invoice&file_name=x.pdf", b"x").await;
        assert_eq!(status, 404);
        let partner = make_token(&app.signed_in(PARTNER_ADMIN).await, "Mine", &["orders.read", "orders.write"]).await;
        let (status, _) = post_document(&app, &partner, path, b"%PDF-1.4 forged").await;
        assert_eq!(status, 403);
        let listed: Value = app.client.get(app.url(&format!("/api/v1/orders/{order_id}/documents"))).bearer_auth(&token).send().await.unwrap().json().await.unwrap();
        assert_eq!(listed.as_array().unwrap().len(), 3, "refused requests added nothing");
    }
}
