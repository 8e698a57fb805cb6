//! Partner pages see only what the viewer's scope reaches; everything else is a 404.

use portico::orgs::entity::organization;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::on_both_databases;

async fn partner_id(app: &crate::helpers::TestApp, name: &str) -> String {
    organization::Entity::find()
        .filter(organization::Column::Name.eq(name))
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{name} exists"))
        .id
        .to_string()
}

async fn without_request_id(response: reqwest::Response) -> String {
    let id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    response.text().await.unwrap().replace(&id, "")
}

fn partner_names(html: &str) -> Vec<String> {
    html.split("<a href=\"/partners/")
        .skip(1)
        .filter_map(|part| part.split_once("\">").map(|(_, rest)| rest))
        .filter_map(|rest| rest.split_once("</a>").map(|(name, _)| name.to_owned()))
        .collect()
}

on_both_databases! {
    async fn managers_see_their_assigned_partners_and_resellers_only(app) {
        let app = app.with_demo_program().await;
        let manager = app.signed_in("priya.shah@northwind.example").await;
        let html = manager.get("/partners").await.text().await.unwrap();
        assert_eq!(
            partner_names(&html),
            vec![
                "Brightline Distribution",
                "Alpenblick Systemhaus",
                "Kessler IT Solutions",
                "Nordlicht Netzwerke",
                "Rheinwerk Digital",
                "Meridian Advisory",
            ]
        );
        let kessler = partner_id(&app, "Kessler IT Solutions").await;
        let page = manager.get(&format!("/partners/{kessler}")).await;
        assert_eq!(page.status(), 200);
        let page = page.text().await.unwrap();
        assert!(page.contains("Kessler IT Solutions GmbH"));
        assert!(page.contains("Application approved by the channel team"), "status history shown");

        let atlas = partner_id(&app, "Atlas Channel Partners").await;
        let hidden = manager.get(&format!("/partners/{atlas}")).await;
        assert_eq!(hidden.status(), 404, "an unassigned partner does not exist for this manager");
        let missing = manager.get(&format!("/partners/{}", uuid::Uuid::now_v7())).await;
        assert_eq!(missing.status(), 404);
        assert_eq!(
            without_request_id(hidden).await,
            without_request_id(missing).await,
            "out of scope and missing look the same"
        );
    }

    async fn admins_see_every_partner(app) {
        let app = app.with_demo_program().await;
        let admin = app.signed_in("alex.morgan@northwind.example").await;
        let html = admin.get("/partners").await.text().await.unwrap();
        assert_eq!(partner_names(&html).len(), 16);
        assert!(html.contains("badge-amber\">suspended"), "Pennine Networks is suspended");

        let suspended = admin.get("/partners?status=suspended").await.text().await.unwrap();
        assert_eq!(partner_names(&suspended), vec!["Pennine Networks"]);
        let spanish = admin.get("/partners?country=ES&partner_type=reseller").await.text().await.unwrap();
        assert_eq!(partner_names(&spanish), vec!["Costa Sistemas", "Solana Redes"]);
        let by_name = admin.get("/partners?q=hARBOUR").await.text().await.unwrap();
        assert_eq!(partner_names(&by_name), vec!["Harbour Tech"]);
        let none = admin.get("/partners?q=%25").await.text().await.unwrap();
        assert!(none.contains("No partner matches these filters"));
    }

    async fn partners_never_see_their_parent_or_siblings(app) {
        let app = app.with_demo_program().await;
        let kessler_admin = app.signed_in("anna.kessler@kessler-it.example").await;
        let html = kessler_admin.get("/partners").await.text().await.unwrap();
        assert_eq!(partner_names(&html), vec!["Kessler IT Solutions"]);
        for other in ["Brightline Distribution", "Alpenblick Systemhaus", "Atlas Channel Partners"] {
            let id = partner_id(&app, other).await;
            assert_eq!(kessler_admin.get(&format!("/partners/{id}")).await.status(), 404, "{other}");
        }

        // The distributor was granted its resellers' data; its resellers were not granted it.
        let distributor = app.signed_in("jana.weber@brightline.example").await;
        let html = distributor.get("/partners").await.text().await.unwrap();
        assert_eq!(partner_names(&html).len(), 5);
        let atlas = partner_id(&app, "Atlas Channel Partners").await;
        assert_eq!(distributor.get(&format!("/partners/{atlas}")).await.status(), 404);
    }

    async fn signed_out_visitors_are_sent_to_sign_in(app) {
        let app = app.with_demo_program().await;
        let response = app.get("/partners").await;
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], "/login?next=%2Fpartners");
    }
}

on_both_databases! {
    async fn partner_admins_edit_their_own_profile_only(app) {
        let app = app.with_demo_program().await;
        let kessler = partner_id(&app, "Kessler IT Solutions").await;
        let admin = app.signed_in("anna.kessler@kessler-it.example").await;
        let own = admin.get("/organisation").await;
        assert_eq!(own.headers()["location"], format!("/partners/{kessler}").as_str());

        let wrong = admin
            .post_form(&format!("/partners/{kessler}/edit"), &[
                ("name", "Kessler IT"), ("legal_name", "Kessler IT Solutions GmbH"),
                ("country", "Germany"), ("website", "kessler.example"),
            ])
            .await;
        assert_eq!(wrong.status(), 422);
        let page = wrong.text().await.unwrap();
        assert!(page.contains("use the two letters of ISO 3166"), "{page}");
        assert!(page.contains("value=\"Germany\""), "the form keeps what was typed");

        let saved = admin
            .post_form(&format!("/partners/{kessler}/edit"), &[
                ("name", "Kessler IT"), ("legal_name", "Kessler IT Solutions GmbH"),
                ("country", "de"), ("website", "https://kessler-it.example"), ("tax_number", "DE123456789"),
            ])
            .await;
        assert_eq!(saved.status(), 303);
        let detail = admin.get(&format!("/partners/{kessler}")).await.text().await.unwrap();
        assert!(detail.contains("<h1>Kessler IT</h1>") && detail.contains("DE123456789"));

        // Markets, capabilities, address and certifications.
        admin
            .post_form(&format!("/partners/{kessler}/edit"), &[
                ("name", "Kessler IT"), ("legal_name", "Kessler IT Solutions GmbH"), ("country", "DE"),
                ("address", "Hafenstraße 4\n20457 Hamburg"), ("billing_address", "Postfach 1200\n20001 Hamburg"), ("markets", "Germany, Denmark"),
                ("capabilities", "Installation, Managed Wi-Fi"),
            ])
            .await;
        let bad_date = admin
            .post_form(&format!("/partners/{kessler}/certifications"), &[("name", "Wi-Fi Expert"), ("issuer", "Northwind Networks"), ("valid_until", "30.06.2027")])
            .await;
        let page = admin.get(bad_date.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
        assert!(page.contains("is not a date; use YYYY-MM-DD"), "{page}");
        for (name, until) in [("Wi-Fi Expert", "2099-06-30"), ("Switching Associate", "2020-01-31")] {
            let added = admin
                .post_form(&format!("/partners/{kessler}/certifications"), &[("name", name), ("issuer", "Northwind Networks"), ("valid_until", until)])
                .await;
            assert_eq!(added.status(), 303);
        }
        let detail = admin.get(&format!("/partners/{kessler}")).await.text().await.unwrap();
        assert!(detail.contains("<span class=\"chip\">Denmark</span>"), "{detail}");
        assert!(detail.contains("Hafenstraße 4") && detail.contains("Postfach 1200"));
        assert!(detail.contains("badge-red\">expired") && detail.contains("badge-green\">valid"), "{detail}");
        let certificate = detail
            .split("/certifications/")
            .nth(1)
            .and_then(|rest| rest.split('/').next())
            .unwrap()
            .to_owned();
        let removed = admin.post_form(&format!("/partners/{kessler}/certifications/{certificate}/remove"), &[]).await;
        assert_eq!(removed.status(), 303);
        let detail = admin.get(&format!("/partners/{kessler}")).await.text().await.unwrap();
        assert_eq!(detail.matches("/remove\"").count(), 1, "one certification left");

        // The distributor sees its reseller but does not edit it.
        let distributor = app.signed_in("jana.weber@brightline.example").await;
        assert_eq!(distributor.get(&format!("/partners/{kessler}")).await.status(), 200);
        assert_eq!(distributor.get(&format!("/partners/{kessler}/edit")).await.status(), 403);
    }

    async fn vendor_admins_change_status_with_a_reason_and_assign_managers(app) {
        let app = app.with_demo_program().await;
        let atlas = partner_id(&app, "Atlas Channel Partners").await;
        let admin = app.signed_in("alex.morgan@northwind.example").await;

        let no_reason = admin.post_form(&format!("/partners/{atlas}/status"), &[("status", "suspended"), ("reason", " ")]).await;
        let page = admin.get(no_reason.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
        assert!(page.contains("Say why the status changes"), "{page}");
        let jump = admin.post_form(&format!("/partners/{atlas}/status"), &[("status", "applicant"), ("reason", "test")]).await;
        let page = admin.get(jump.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
        assert!(page.contains("cannot become &quot;applicant&quot;") || page.contains("cannot become"), "{page}");

        admin.post_form(&format!("/partners/{atlas}/status"), &[("status", "suspended"), ("reason", "Unpaid invoices over 90 days")]).await;
        let page = admin.get(&format!("/partners/{atlas}")).await.text().await.unwrap();
        assert!(page.contains("badge-amber\">suspended"));
        assert!(page.contains("Alex Morgan · <time"), "who changed it: {page}");
        assert!(page.contains("active → <strong>suspended</strong> · Unpaid invoices over 90 days"), "{page}");

        // Priya looks after Atlas from now on, and only then sees it.
        let priya = app.signed_in("priya.shah@northwind.example").await;
        assert_eq!(priya.get(&format!("/partners/{atlas}")).await.status(), 404);
        let priya_id = portico::identity::entity::user::Entity::find()
            .filter(portico::identity::entity::user::Column::Email.eq("priya.shah@northwind.example"))
            .one(&app.pool).await.unwrap().unwrap().id;
        let assigned = admin.post_form(&format!("/partners/{atlas}/managers"), &[("staff_user_id", &priya_id.to_string())]).await;
        assert_eq!(assigned.status(), 303);
        assert_eq!(priya.get(&format!("/partners/{atlas}")).await.status(), 200);
        let removed = admin.post_form(&format!("/partners/{atlas}/managers/{priya_id}/remove"), &[]).await;
        assert_eq!(removed.status(), 303);
        assert_eq!(priya.get(&format!("/partners/{atlas}")).await.status(), 404);

        // Type and tier; the staff page shows who looks after whom.
        let classified = admin.post_form(&format!("/partners/{atlas}/classification"), &[("partner_type", "distributor"), ("tier", "Platinum")]).await;
        assert_eq!(classified.status(), 303);
        let bad = admin.post_form(&format!("/partners/{atlas}/classification"), &[("partner_type", "wholesaler"), ("tier", "Gold")]).await;
        let page = admin.get(bad.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
        assert!(page.contains("Partner type must be one of"), "{page}");
        assert!(page.contains("Platinum tier"), "unchanged by the bad request");
        let staff = admin.get("/admin/staff").await.text().await.unwrap();
        assert!(staff.contains("Priya Shah") && staff.contains(">Brightline Distribution</a>"), "{staff}");
        assert!(staff.contains("all partners"), "roles reaching all partners say so");

        // Granting a distributor the view of its resellers' data.
        let george = app.signed_in("george.hale@atlas-channel.example").await;
        let listed = |html: String| partner_names(&html).len();
        assert_eq!(listed(george.get("/partners").await.text().await.unwrap()), 1 + 2, "granted in the demo");
        admin.post_form(&format!("/partners/{atlas}/descendants"), &[("visible", "no")]).await;
        assert_eq!(listed(george.get("/partners").await.text().await.unwrap()), 1);
    }
}

on_both_databases! {
    async fn vendor_admins_add_partners_and_invite_their_first_administrator(app) {
        let app = app.with_demo_program().await;
        let admin = app.signed_in("alex.morgan@northwind.example").await;
        let atlas = partner_id(&app, "Atlas Channel Partners").await;
        let wrong = admin
            .post_form("/partners/new", &[
                ("name", ""), ("legal_name", "Dover Data Ltd"), ("partner_type", "reseller"), ("tier", "Silver"),
                ("country", "UK1"), ("parent_id", "not-an-id"), ("admin_email", "sam@dover.example"), ("admin_name", ""),
            ])
            .await;
        assert_eq!(wrong.status(), 422);
        let page = wrong.text().await.unwrap();
        for expected in ["Enter the name the organisation trades under", "is not a country code", "Choose the parent from the list", "Enter the first administrator&#39;s name too"] {
            assert!(page.contains(expected) || page.contains(&expected.replace("&#39;", "'")), "{expected}: {page}");
        }
        let before = partner_names(&admin.get("/partners").await.text().await.unwrap()).len();

        let added = admin
            .post_form("/partners/new", &[
                ("name", "Dover Data"), ("legal_name", "Dover Data Ltd"), ("partner_type", "reseller"), ("tier", "Silver"),
                ("country", "gb"), ("parent_id", &atlas), ("admin_email", "sam@dover.example"), ("admin_name", "Sam Dover"),
            ])
            .await;
        assert_eq!(added.status(), 303);
        let page = admin.get(added.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
        assert!(page.contains("Dover Data is added, onboarding. sam@dover.example is invited as its administrator."), "{page}");
        assert!(page.contains("Added by Alex Morgan"));
        let list = admin.get("/partners").await.text().await.unwrap();
        assert_eq!(partner_names(&list).len(), before + 1);
        // It sits under Atlas, and Atlas (granted its descendants) now sees it.
        let george = app.signed_in("george.hale@atlas-channel.example").await;
        assert!(partner_names(&george.get("/partners").await.text().await.unwrap()).contains(&"Dover Data".to_owned()));
        let outbox = admin.get("/admin/outbox").await.text().await.unwrap();
        assert!(outbox.contains("sam@dover.example"));
    }
}
