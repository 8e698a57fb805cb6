//! Orders through HTTP: placing, validation, the vendor's actions, the timeline, the list with
//! its filters, pages and exports, and documents.

use portico::orders::entity::{order_event, price_list, price_list_entry, product, sales_order};
use portico::orgs::entity::organization;
use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::helpers::{TestApp, Visitor, on_both_databases};

const SALES: &str = "lukas.brandt@brightline.example";
const OPERATIONS: &str = "olivia.grant@northwind.example";

async fn partner(app: &TestApp, name: &str) -> organization::Model {
    organization::Entity::find()
        .filter(organization::Column::Name.eq(name))
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{name} exists"))
}

async fn order_count(app: &TestApp) -> u64 {
    sales_order::Entity::find().count(&app.pool).await.unwrap()
}

/// The order a redirect after placing or changing it points at.
async fn order_at(app: &TestApp, response: &reqwest::Response) -> sales_order::Model {
    assert_eq!(response.status(), 303, "expected a redirect to the order");
    let location = response.headers()["location"].to_str().unwrap();
    let id = location
        .trim_start_matches("/orders/")
        .split('?')
        .next()
        .unwrap();
    sales_order::Entity::find_by_id(Uuid::parse_str(id).unwrap())
        .one(&app.pool)
        .await
        .unwrap()
        .expect("the order exists")
}

async fn follow(visitor: &Visitor, response: reqwest::Response) -> String {
    let location = response.headers()["location"].to_str().unwrap().to_owned();
    visitor.get(&location).await.text().await.unwrap()
}

async fn place(visitor: &Visitor, lines: &[(&str, &str, &str)], intent: &str) -> reqwest::Response {
    let mut fields = vec![
        ("customer_name", "Stadtwerke Kiel"),
        ("partner_reference", "PO-4711"),
        ("currency", "EUR"),
        ("intent", intent),
    ];
    for (sku, quantity, discount) in lines {
        fields.extend([
            ("sku", *sku),
            ("quantity", *quantity),
            ("discount", *discount),
        ]);
    }
    visitor.post_form("/orders/new", &fields).await
}

on_both_databases! {
    async fn a_partner_places_an_order_priced_from_its_own_price_list(app) {
        let app = app.with_demo_program().await;
        let sales = app.signed_in(SALES).await;
        let form = sales.get("/orders/new").await.text().await.unwrap();
        assert!(form.contains("NW-SW-1000"), "the form offers the catalogue");

        let response = place(&sales, &[("nw-sw-1000", "2", ""), ("NW-CL-1300", "24", "5")], "submit").await;
        let order = order_at(&app, &response).await;
        let page = follow(&sales, response).await;
        assert!(page.contains(&format!("Order {} submitted. Operations usually confirm within 1 business day.", order.number)));
        assert_eq!(order.status, "submitted");
        assert_eq!(order.partner_id, partner(&app, "Brightline Distribution").await.id);
        assert_eq!(order.source, "portal");

        // Prices from Brightline's own EUR list, the line discount applied, rounded half up.
        let list = price_list::Entity::find()
            .filter(price_list::Column::Name.eq("Brightline Distribution EUR"))
            .one(&app.pool).await.unwrap().unwrap();
        let price_of = |sku: &'static str| {
            let pool = app.pool.clone();
            let list = list.id;
            async move {
                let product = product::Entity::find().filter(product::Column::Sku.eq(sku)).one(&pool).await.unwrap().unwrap();
                price_list_entry::Entity::find_by_id((list, product.id)).one(&pool).await.unwrap().unwrap().unit_price_minor
            }
        };
        let switch = price_of("NW-SW-1000").await;
        let licence = price_of("NW-CL-1300").await;
        let licence_line = (licence * 24 * 9_500 + 5_000) / 10_000;
        assert_eq!(order.total_minor, switch * 2 + licence_line);

        assert!(page.contains("Placed the order (Submitted)"));
        assert!(page.contains("Lukas Brandt (Brightline Distribution)"));
        assert!(page.contains("PO-4711"));
        assert!(page.contains("5 %"), "the line discount is shown");
        let audit = portico::audit::Entity::find()
            .filter(portico::audit::Column::Action.eq("order.submitted"))
            .filter(portico::audit::Column::ObjectId.eq(order.number.clone()))
            .count(&app.pool).await.unwrap();
        assert_eq!(audit, 1, "placing the order is audited");
    }

    async fn every_rule_answers_next_to_its_field_and_nothing_is_saved(app) {
        let app = app.with_demo_program().await;
        let sales = app.signed_in(SALES).await;
        let before = order_count(&app).await;
        let response = sales.post_form("/orders/new", &[
            ("customer_name", " "),
            ("currency", "EUR"),
            ("sku", "NW-CL-1300"), ("quantity", "13"), ("discount", ""),
            ("sku", "NW-SW-1090"), ("quantity", "2"), ("discount", ""),
            ("sku", "NW-XX-9999"), ("quantity", "1"), ("discount", ""),
            ("sku", "NW-SA-1310"), ("quantity", "1"), ("discount", ""),
            ("sku", "NW-SW-1000"), ("quantity", "1"), ("discount", "15"),
            ("sku", "NW-SW-1010"), ("quantity", "two"), ("discount", ""),
        ]).await;
        assert_eq!(response.status(), 200, "the form comes back with its errors");
        let page = response.text().await.unwrap();
        for message in [
            "Enter the end customer",
            "Line 1: quantity must be a multiple of 12 (pack size) for SKU NW-CL-1300.",
            "Line 2: the minimum order quantity for SKU NW-SW-1090 is 4.",
            "Line 3: there is no product with SKU NW-XX-9999 in the catalogue.",
            "Line 4: NW-SA-1310 (Firewall 300 (discontinued)) is no longer sold",
            "Line 5: the discount may be at most 12 % on your price list.",
            "Line 6: the quantity must be a whole number above 0.",
        ] {
            assert!(page.contains(message), "missing {message:?}");
        }
        assert!(page.contains("href=\"#quantity-1\""), "the summary links to the field");
        assert!(page.contains("value=\"NW-SW-1090\""), "the form keeps what was typed");
        assert_eq!(order_count(&app).await, before, "nothing was saved");

        // A partner that is not active cannot order at all.
        let suspended = app.signed_in("admin@pennine-networks.example").await;
        let response = place(&suspended, &[("NW-SW-1000", "1", "")], "submit").await;
        let page = response.text().await.unwrap();
        assert!(page.contains("Pennine Networks is suspended in the program, so it cannot order."));
        assert_eq!(order_count(&app).await, before);
    }

    async fn operations_move_the_order_and_the_partner_reads_every_step(app) {
        let app = app.with_demo_program().await;
        let sales = app.signed_in(SALES).await;
        let operations = app.signed_in(OPERATIONS).await;
        let order = order_at(&app, &place(&sales, &[("NW-SW-1000", "1", "")], "submit").await).await;
        let path = format!("/orders/{}", order.id);

        // A rejection needs a reason; without one nothing changes.
        let page = follow(&operations, operations.post_form(&format!("{path}/reject"), &[("reason", " ")]).await).await;
        assert!(page.contains("Say why the order is rejected"));
        let page = follow(&operations, operations.post_form(&format!("{path}/confirm"), &[]).await).await;
        assert!(page.contains("confirmed; the partner sees it at once"));

        let page = follow(&operations, operations.post_form(&format!("{path}/block"), &[
            ("reason", "Export-control screening of the end customer is pending."),
            ("owner", "Northwind trade compliance"),
        ]).await).await;
        assert!(page.contains("is blocked; the partner sees why and who owns it"));
        // A blocked order does not move until the block is lifted.
        let page = follow(&operations, operations.post_form(&format!("{path}/status"), &[("status", "in_fulfilment")]).await).await;
        assert!(page.contains("This order is blocked."));

        let partner_view = sales.get(&path).await.text().await.unwrap();
        assert!(partner_view.contains("Blocked since"));
        assert!(partner_view.contains("Export-control screening of the end customer is pending."));
        assert!(partner_view.contains("Northwind trade compliance"));
        assert!(!partner_view.contains("Lift the block"), "partners cannot unblock");

        follow(&operations, operations.post_form(&format!("{path}/unblock"), &[("reason", "Screening passed.")]).await).await;
        let promised = (time::OffsetDateTime::now_utc() + time::Duration::days(10)).date();
        follow(&operations, operations.post_form(&format!("{path}/promise"), &[("date", &promised.to_string())]).await).await;
        // Moving a promise needs a reason.
        let page = follow(&operations, operations.post_form(&format!("{path}/promise"), &[("date", &promised.to_string())]).await).await;
        assert!(page.contains("Say why the promised date moves"));
        follow(&operations, operations.post_form(&format!("{path}/status"), &[("status", "in_fulfilment")]).await).await;
        follow(&operations, operations.post_form(&format!("{path}/status"), &[("status", "shipped")]).await).await;
        // Not every status is reachable from every other.
        let page = follow(&operations, operations.post_form(&format!("{path}/status"), &[("status", "paid")]).await).await;
        assert!(page.contains("An order that is shipped cannot move to &#34;paid&#34;"), "{page}");

        let saved = sales_order::Entity::find_by_id(order.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(saved.status, "shipped");
        assert!(saved.shipped_at.is_some());
        assert!(saved.blocked_at.is_none());
        assert_eq!(saved.promised_date, Some(promised));

        // The timeline, newest first, in plain words, with who and why.
        let events: Vec<String> = order_event::Entity::find()
            .filter(order_event::Column::OrderId.eq(order.id))
            .order_by_asc(order_event::Column::At)
            .all(&app.pool).await.unwrap()
            .into_iter().map(|e| e.kind).collect();
        assert_eq!(events, ["created", "status", "blocked", "unblocked", "promised_date", "status", "status"]);
        let partner_view = sales.get(&path).await.text().await.unwrap();
        let steps = [
            "Status: In fulfilment → Shipped",
            "Status: Confirmed → In fulfilment",
            "Promised delivery for",
            "Lifted the block (it was: Export-control screening of the end customer is pending.)",
            "Why: Screening passed.",
            "Blocked the order · waiting on Northwind trade compliance",
            "Status: Submitted → Confirmed",
            "Placed the order (Submitted)",
        ];
        let mut from = 0;
        for step in steps {
            let at = partner_view[from..].find(step).unwrap_or_else(|| panic!("timeline lacks {step:?} after position {from}"));
            from += at;
        }
        assert!(partner_view.contains("Olivia Grant (Northwind Networks)"));
    }

    async fn partners_withdraw_drafts_and_submitted_orders_only(app) {
        let app = app.with_demo_program().await;
        let sales = app.signed_in(SALES).await;
        let operations = app.signed_in(OPERATIONS).await;
        let draft = order_at(&app, &place(&sales, &[("NW-SW-1000", "1", "")], "draft").await).await;
        assert_eq!(draft.status, "draft");
        let path = format!("/orders/{}", draft.id);
        // Operations see drafts but have nothing to confirm yet.
        let page = follow(&operations, operations.post_form(&format!("{path}/confirm"), &[]).await).await;
        assert!(page.contains("Only a submitted order can be confirmed."));
        follow(&sales, sales.post_form(&format!("{path}/submit"), &[]).await).await;
        let page = follow(&sales, sales.post_form(&format!("{path}/cancel"), &[("reason", "")]).await).await;
        assert!(page.contains("Say why the order is withdrawn"));
        let page = follow(&sales, sales.post_form(&format!("{path}/cancel"), &[("reason", "Customer chose another quote.")]).await).await;
        assert!(page.contains("withdrawn."));
        assert!(page.contains("Status: Submitted → Cancelled"));
        assert!(page.contains("Why: Customer chose another quote."));

        let confirmed = order_at(&app, &place(&sales, &[("NW-SW-1000", "1", "")], "submit").await).await;
        let path = format!("/orders/{}", confirmed.id);
        follow(&operations, operations.post_form(&format!("{path}/confirm"), &[]).await).await;
        let page = follow(&sales, sales.post_form(&format!("{path}/cancel"), &[("reason", "Too late?")]).await).await;
        assert!(page.contains("can no longer be withdrawn"));
        let saved = sales_order::Entity::find_by_id(confirmed.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(saved.status, "confirmed");
    }

    async fn a_distributor_reads_its_resellers_orders_but_never_changes_them(app) {
        let app = app.with_demo_program().await;
        let reseller = partner(&app, "Kessler IT Solutions").await;
        let kessler_order = sales_order::Entity::find()
            .filter(sales_order::Column::PartnerId.eq(reseller.id))
            .filter(sales_order::Column::Status.eq("draft"))
            .one(&app.pool).await.unwrap();
        let kessler_order = match kessler_order {
            Some(order) => order,
            None => {
                let kessler = app.signed_in("ben.vogel@kessler-it.example").await;
                order_at(&app, &place(&kessler, &[("NW-SW-1000", "1", "")], "draft").await).await
            }
        };
        let distributor = app.signed_in("jana.weber@brightline.example").await;
        let page = distributor.get(&format!("/orders/{}", kessler_order.id)).await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("Kessler IT Solutions"));
        assert!(!page.contains("Submit the order"), "no action offered on a sub-partner's order");
        let response = distributor.post_form(&format!("/orders/{}/submit", kessler_order.id), &[]).await;
        assert_eq!(response.status(), 403);
        // And the reseller never sees its distributor's orders.
        let kessler = app.signed_in("anna.kessler@kessler-it.example").await;
        let brightline_order = sales_order::Entity::find()
            .filter(sales_order::Column::PartnerId.eq(partner(&app, "Brightline Distribution").await.id))
            .one(&app.pool).await.unwrap().unwrap();
        assert_eq!(kessler.get(&format!("/orders/{}", brightline_order.id)).await.status(), 404);
    }

    async fn the_list_filters_pages_and_exports_exactly_what_is_filtered(app) {
        let app = app.with_demo_program().await;
        let kessler = partner(&app, "Kessler IT Solutions").await;
        let admin = app.signed_in("anna.kessler@kessler-it.example").await;
        let own = sales_order::Entity::find().filter(sales_order::Column::PartnerId.eq(kessler.id));
        let total = own.clone().count(&app.pool).await.unwrap();
        assert!(total > 10);

        // Keyset pages of 50 cover each order once; walk them newest first.
        let mut seen = Vec::new();
        let mut next = Some("/orders?sort=newest".to_owned());
        while let Some(path) = next.take() {
            let page = admin.get(&path).await.text().await.unwrap();
            for part in page.split("<a href=\"/orders/").skip(1) {
                let (id, rest) = part.split_once('"').unwrap();
                if Uuid::parse_str(id).is_ok() {
                    let number = rest.trim_start_matches('>').split('<').next().unwrap().to_owned();
                    seen.push(number);
                }
            }
            next = page.split("rel=\"next\"").next().and_then(|before| before.rsplit("href=\"").next())
                .filter(|_| page.contains("rel=\"next\""))
                .map(|href| href.split('"').next().unwrap().replace("&amp;", "&").replace("&#38;", "&"));
        }
        assert_eq!(seen.len() as u64, total, "every order once");
        let unique: std::collections::BTreeSet<_> = seen.iter().collect();
        assert_eq!(unique.len(), seen.len(), "no order on two pages");

        // Filters: status and blocked.
        let paid = own.clone().filter(sales_order::Column::Status.eq("paid")).count(&app.pool).await.unwrap();
        let csv = admin.get("/orders/export/csv?status=paid").await;
        assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
        let csv = csv.text().await.unwrap();
        assert_eq!(csv.lines().count() as u64, paid + 1, "heading plus one row per paid order");
        assert!(csv.lines().skip(1).all(|l| l.contains(",Paid,")), "only paid orders");
        let blocked = own.clone().filter(sales_order::Column::BlockedAt.is_not_null()).count(&app.pool).await.unwrap();
        let csv = admin.get("/orders/export/csv?blocked=yes").await.text().await.unwrap();
        assert_eq!(csv.lines().count() as u64, blocked + 1);
        let xlsx = admin.get("/orders/export/xlsx?status=open").await;
        assert_eq!(xlsx.status(), 200);
        assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
        // The customer filter and free text narrow alike on both databases, ignoring case.
        let one = own.clone().one(&app.pool).await.unwrap().unwrap();
        let csv = admin.get(&format!("/orders/export/csv?q={}", one.number.to_lowercase())).await.text().await.unwrap();
        assert_eq!(csv.lines().count(), 2);
        assert!(csv.contains(&one.number));

        // Bad filters are named, not ignored.
        let page = admin.get("/orders?from=12.03.2026&status=lost").await.text().await.unwrap();
        assert!(page.contains("From: &#34;12.03.2026&#34; is not a date; use YYYY-MM-DD"), "{page}");
        assert!(page.contains("Status: choose one from the list."));
        // The reseller never sees another partner's orders in its list or exports.
        let csv = admin.get("/orders/export/csv").await.text().await.unwrap();
        assert_eq!(csv.lines().count() as u64, total + 1);
        assert!(!csv.contains("Brightline"));
    }

    async fn documents_are_uploaded_downloaded_and_audited_within_scope(app) {
        let app = app.with_demo_program().await;
        let sales = app.signed_in(SALES).await;
        let operations = app.signed_in(OPERATIONS).await;
        let order = order_at(&app, &place(&sales, &[("NW-SW-1000", "1", "")], "submit").await).await;
        let path = format!("/orders/{}", order.id);
        let content = b"Invoice INV-1 for Stadtwerke Kiel: EUR 280.08".to_vec();
        let response = operations
            .post_file(&format!("{path}/documents"), &[("kind", "invoice")], ("Rechnung März.txt", "text/plain", content.clone()))
            .await;
        let page = follow(&operations, response).await;
        assert!(page.contains("Rechnung März.txt added to order"), "{page}");
        let document = portico::orders::entity::order_document::Entity::find()
            .filter(portico::orders::entity::order_document::Column::OrderId.eq(order.id))
            .one(&app.pool).await.unwrap().unwrap();

        // Without a kind or a file nothing is stored.
        let page = follow(&operations, operations.post_file(&format!("{path}/documents"), &[("kind", "poem")], ("a.txt", "text/plain", b"x".to_vec())).await).await;
        assert!(page.contains("Choose what kind of document this is."));

        let download = sales.get(&format!("{path}/documents/{}", document.id)).await;
        assert_eq!(download.status(), 200);
        assert!(download.headers()["content-disposition"].to_str().unwrap().contains("filename*=UTF-8''Rechnung%20M%C3%A4rz.txt"));
        assert_eq!(download.bytes().await.unwrap().to_vec(), content);
        let downloads = portico::audit::Entity::find()
            .filter(portico::audit::Column::Action.eq("order.document_downloaded"))
            .count(&app.pool).await.unwrap();
        assert_eq!(downloads, 1, "the download is audited");
        let timeline = sales.get(&path).await.text().await.unwrap();
        assert!(timeline.contains("Added a document: Rechnung März.txt (invoice)"));

        // Another partner learns nothing, not even that the document exists.
        let outsider = app.signed_in("george.hale@atlas-channel.example").await;
        assert_eq!(outsider.get(&format!("{path}/documents/{}", document.id)).await.status(), 404);
        // A form without the token in its address is refused.
        let forged = reqwest::Client::new()
            .post(app.url(&format!("{path}/documents")))
            .multipart(reqwest::multipart::Form::new().text("kind", "invoice"))
            .send().await.unwrap();
        assert_eq!(forged.status(), 400);
    }

    async fn a_draft_is_revised_and_the_timeline_says_what_changed(app) {
        let app = app.with_demo_program().await;
        let sales = app.signed_in(SALES).await;
        let draft = order_at(&app, &place(&sales, &[("NW-SW-1000", "1", "")], "draft").await).await;
        let path = format!("/orders/{}", draft.id);
        let form = sales.get(&format!("{path}/edit")).await.text().await.unwrap();
        assert!(form.contains("value=\"NW-SW-1000\""), "the form holds the draft");
        assert!(form.contains(&format!("Edit draft order {}", draft.number)));

        // A mistake changes nothing.
        let response = sales.post_form(&format!("{path}/edit"), &[
            ("customer_name", "Rheinbahn"), ("currency", "EUR"),
            ("sku", "NW-SW-1090"), ("quantity", "3"), ("discount", ""),
        ]).await;
        assert_eq!(response.status(), 200);
        assert!(response.text().await.unwrap().contains("Line 1: the minimum order quantity for SKU NW-SW-1090 is 4."));
        let unchanged = sales_order::Entity::find_by_id(draft.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(unchanged, draft);

        let response = sales.post_form(&format!("{path}/edit"), &[
            ("customer_name", "Rheinbahn"), ("currency", "EUR"), ("intent", "draft"),
            ("sku", "NW-SW-1000"), ("quantity", "1"), ("discount", ""),
            ("sku", "NW-SW-1090"), ("quantity", "4"), ("discount", ""),
        ]).await;
        let page = follow(&sales, response).await;
        assert!(page.contains(&format!("Draft {} saved.", draft.number)));
        assert!(page.contains("End customer: Stadtwerke Kiel → Rheinbahn"));
        let revised = sales_order::Entity::find_by_id(draft.id).one(&app.pool).await.unwrap().unwrap();
        assert!(revised.total_minor > draft.total_minor);
        assert!(page.contains("Lines changed: 1 line · EUR "), "{page}");
        assert!(page.contains("→ 2 lines · EUR "));

        // Submitting from the form places it; a placed order is no longer edited here.
        let response = sales.post_form(&format!("{path}/edit"), &[
            ("customer_name", "Rheinbahn"), ("currency", "EUR"), ("intent", "submit"),
            ("sku", "NW-SW-1000"), ("quantity", "1"), ("discount", ""),
            ("sku", "NW-SW-1090"), ("quantity", "4"), ("discount", ""),
        ]).await;
        let page = follow(&sales, response).await;
        assert!(page.contains("submitted. Operations usually confirm within 1 business day."));
        let again = sales.get(&format!("{path}/edit")).await;
        assert_eq!(again.status(), 303);
        assert!(follow(&sales, again).await.contains("Only a draft can be edited"));
        let lines = portico::orders::entity::order_line::Entity::find()
            .filter(portico::orders::entity::order_line::Column::OrderId.eq(draft.id))
            .count(&app.pool).await.unwrap();
        assert_eq!(lines, 2, "the old lines were replaced, not added to");
    }

    async fn a_distributor_pages_through_its_and_its_resellers_orders_in_order(app) {
        let app = app.with_demo_program().await;
        let distributor = partner(&app, "Brightline Distribution").await;
        let family: Vec<Uuid> = organization::Entity::find()
            .filter(organization::Column::ParentId.eq(distributor.id))
            .all(&app.pool).await.unwrap()
            .into_iter().map(|o| o.id).chain([distributor.id]).collect();
        let mut expected = sales_order::Entity::find()
            .filter(sales_order::Column::PartnerId.is_in(family))
            .all(&app.pool).await.unwrap();
        expected.sort_by(|a, b| b.total_minor.cmp(&a.total_minor).then(b.id.cmp(&a.id)));
        let expected: Vec<String> = expected.into_iter().map(|o| o.number).collect();
        assert!(expected.len() > 50, "more than one page");

        let admin = app.signed_in("jana.weber@brightline.example").await;
        let mut seen = Vec::new();
        let mut next = Some("/orders?sort=total_desc".to_owned());
        while let Some(path) = next.take() {
            assert!(seen.len() <= expected.len(), "pages repeat: {path}");
            let page = admin.get(&path).await.text().await.unwrap();
            for part in page.split("<a href=\"/orders/").skip(1) {
                let (id, rest) = part.split_once('"').unwrap();
                if Uuid::parse_str(id).is_ok() {
                    seen.push(rest.trim_start_matches('>').split('<').next().unwrap().to_owned());
                }
            }
            if page.contains("rel=\"next\"") {
                let before = page.split("rel=\"next\"").next().unwrap();
                let href = before.rsplit("href=\"").next().unwrap().split('"').next().unwrap();
                next = Some(href.replace("&amp;", "&").replace("&#38;", "&"));
            }
        }
        assert_eq!(seen, expected, "the merged pages follow the database's order exactly");
    }

    async fn the_catalogue_shows_each_partner_its_own_prices(app) {
        let app = app.with_demo_program().await;
        let brightline = app.signed_in(SALES).await;
        let page = brightline.get("/catalogue?q=NW-SW-1000").await.text().await.unwrap();
        assert!(page.contains("Your prices come from the price list &#34;Brightline Distribution EUR&#34;; you may give up to 12 % discount per line."), "{page}");
        let list = price_list::Entity::find()
            .filter(price_list::Column::Name.eq("Brightline Distribution EUR"))
            .one(&app.pool).await.unwrap().unwrap();
        let switch = product::Entity::find().filter(product::Column::Sku.eq("NW-SW-1000")).one(&app.pool).await.unwrap().unwrap();
        let net = price_list_entry::Entity::find_by_id((list.id, switch.id)).one(&app.pool).await.unwrap().unwrap();
        let shown = portico::platform::money::Money::new(net.unit_price_minor, portico::platform::money::Currency::parse("EUR").unwrap()).to_string();
        assert!(page.contains(&shown), "its net price {shown}");
        assert!(!page.contains("NW-SW-1010"), "the filter narrows");

        // A reseller on the Gold tier gets the Gold list and never learns of Brightline's own.
        let kessler = app.signed_in("ben.vogel@kessler-it.example").await;
        let page = kessler.get("/catalogue").await.text().await.unwrap();
        assert!(page.contains("price list &#34;Gold EUR&#34;"));
        assert!(!page.contains("Brightline"));
        let page = kessler.get("/catalogue?currency=GBP").await.text().await.unwrap();
        assert!(page.contains("Gold GBP"));

        // Vendor staff see the lists and whom they apply to.
        let operations = app.signed_in(OPERATIONS).await;
        let page = operations.get("/catalogue").await.text().await.unwrap();
        assert!(page.contains("Brightline Distribution EUR"));
        assert!(page.contains("Platinum tier"));
        assert!(page.contains("every partner without a list of its own"));
    }

    async fn a_stale_change_is_refused_and_closing_an_order_lifts_its_block(app) {
        let app = app.with_demo_program().await;
        let sales = app.signed_in(SALES).await;
        let operations = app.signed_in(OPERATIONS).await;
        let order = order_at(&app, &place(&sales, &[("NW-SW-1000", "1", "")], "submit").await).await;
        let path = format!("/orders/{}", order.id);
        follow(&operations, operations.post_form(&format!("{path}/block"), &[("reason", "Address incomplete."), ("owner", "Brightline Distribution")]).await).await;

        // Someone acting on what they read before the block is told, and changes nothing.
        let author = portico::orders::store::Author { user_id: None, label: "stale reader".into() };
        let moved = portico::orders::store::change_status(
            &app.pool, &order, portico::orders::model::OrderStatus::Confirmed, None, &author, portico::platform::time::now(),
        ).await.unwrap();
        assert!(!moved, "a change based on an old reading is refused");

        // Withdrawing the blocked order closes it, and the block goes with it, on the timeline.
        let page = follow(&sales, sales.post_form(&format!("{path}/cancel"), &[("reason", "Customer cancelled.")]).await).await;
        assert!(page.contains("withdrawn."));
        assert!(page.contains("Lifted the block (it was: Address incomplete.)"));
        assert!(page.contains("Why: The order was cancelled."));
        let saved = sales_order::Entity::find_by_id(order.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(saved.status, "cancelled");
        assert!(saved.blocked_at.is_none());

        // A draft is not blocked: it is still the partner's.
        let draft = order_at(&app, &place(&sales, &[("NW-SW-1000", "1", "")], "draft").await).await;
        let page = follow(&operations, operations.post_form(&format!("/orders/{}/block", draft.id), &[("reason", "x"), ("owner", "y")]).await).await;
        assert!(page.contains("A draft is still the partner"));
    }
}
