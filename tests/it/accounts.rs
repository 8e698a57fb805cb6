//! Password reset, invitations and user administration, with the mail read from a real (local)
//! SMTP server.

use portico::identity::entity::user;
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::{Backend, TestApp, TestSmtp, on_both_databases};

const SALES: &str = "lukas.brandt@brightline.example";
const PARTNER_ADMIN: &str = "jana.weber@brightline.example";
const NEW_PASSWORD: &str = "copper kettle over the fjord";

async fn app_with_mail(backend: Backend) -> Option<(TestApp, TestSmtp)> {
    let smtp = TestSmtp::start().await;
    let app = TestApp::spawn_with_smtp(backend, &smtp).await?;
    Some((app.with_demo_program().await, smtp))
}

async fn password_reset_by_mail(backend: Backend) {
    let Some((app, smtp)) = app_with_mail(backend).await else {
        return;
    };
    let elsewhere = app.signed_in(SALES).await;

    let visitor = app.visitor();
    let asked = visitor
        .post_form("/password/forgot", &[("email", SALES)])
        .await;
    assert_eq!(asked.status(), 200);
    let known_answer = asked.text().await.unwrap();
    let unknown = visitor
        .post_form(
            "/password/forgot",
            &[("email", "nobody@brightline.example")],
        )
        .await
        .text()
        .await
        .unwrap();
    let sentence = "we have sent it a link to choose a new password";
    assert!(known_answer.contains(sentence) && unknown.contains(sentence));

    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail.to, vec![SALES.to_owned()]);
    assert_eq!(mail.from, "partners@northwind.example");
    assert!(
        mail.data
            .contains("Subject: Reset your Northwind Partner Network password")
            || mail.data.contains("Subject: Reset your"),
        "{}",
        mail.data
    );
    let link = mail
        .link(&app.url("/password/reset/"))
        .expect("reset link in the mail");
    let path = link.trim_start_matches(&app.url(""));

    assert_eq!(visitor.get(path).await.status(), 200);
    let weak = visitor
        .post_form(
            path,
            &[
                ("password", "password1234"),
                ("confirmation", "password1234"),
            ],
        )
        .await;
    assert_eq!(weak.status(), 422);
    assert!(weak.text().await.unwrap().contains("too easy to guess"));
    let differ = visitor
        .post_form(
            path,
            &[
                ("password", NEW_PASSWORD),
                ("confirmation", "something else entirely"),
            ],
        )
        .await;
    assert_eq!(differ.status(), 422);
    assert!(
        differ
            .text()
            .await
            .unwrap()
            .contains("The two passwords differ")
    );

    let done = visitor
        .post_form(
            path,
            &[("password", NEW_PASSWORD), ("confirmation", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/login?password_changed=1");

    // Sessions opened with the old password are over; the new password works; the link is spent.
    assert_eq!(elsewhere.get("/users").await.status(), 303);
    let old = app
        .visitor()
        .post_form(
            "/login",
            &[("email", SALES), ("password", portico::demo::DEMO_PASSWORD)],
        )
        .await;
    assert_eq!(old.status(), 422);
    let new = app
        .visitor()
        .post_form("/login", &[("email", SALES), ("password", NEW_PASSWORD)])
        .await;
    assert_eq!(new.status(), 303);
    assert_eq!(visitor.get(path).await.status(), 410);

    // The unknown address got no mail.
    assert_eq!(smtp.received().len(), 1);
}

async fn invitation_by_mail(backend: Backend) {
    let Some((app, smtp)) = app_with_mail(backend).await else {
        return;
    };
    let admin = app.signed_in(PARTNER_ADMIN).await;

    // Guardrails: bad input changes nothing and says what to fix.
    let refused = admin
        .post_form(
            "/users/invite",
            &[("email", "not-an-address"), ("name", ""), ("role", "admin")],
        )
        .await;
    assert_eq!(refused.status(), 422);
    let page = refused.text().await.unwrap();
    assert!(
        page.contains("Enter the colleague&#39;s e-mail address")
            || page.contains("Enter the colleague"),
        "{page}"
    );
    assert!(page.contains("roles up to your own"));
    let taken = admin
        .post_form(
            "/users/invite",
            &[("email", SALES), ("name", "Lukas Again"), ("role", "sales")],
        )
        .await;
    assert_eq!(taken.status(), 422);
    assert!(
        taken
            .text()
            .await
            .unwrap()
            .contains("already has an account")
    );
    let sales = app.signed_in(SALES).await;
    let not_allowed = sales
        .post_form(
            "/users/invite",
            &[
                ("email", "x@brightline.example"),
                ("name", "X"),
                ("role", "sales"),
            ],
        )
        .await;
    assert_eq!(not_allowed.status(), 403);

    let invited = admin
        .post_form(
            "/users/invite",
            &[
                ("email", "Nora.Klein@Brightline.example"),
                ("name", "Nora Klein"),
                ("role", "partner_finance"),
            ],
        )
        .await;
    assert_eq!(invited.status(), 303);
    let listing = admin
        .get(invited.headers()["location"].to_str().unwrap())
        .await
        .text()
        .await
        .unwrap();
    assert!(
        listing.contains("Invitation sent to nora.klein@brightline.example"),
        "{listing}"
    );
    assert!(listing.contains("invited"));

    let mail = smtp.wait_for(1).await.remove(0);
    assert_eq!(mail.to, vec!["nora.klein@brightline.example".to_owned()]);
    assert!(
        mail.data
            .contains("Jana Weber of Brightline Distribution invites you"),
        "{}",
        mail.data
    );
    let link = mail
        .link(&app.url("/invitation/"))
        .expect("invitation link");
    let path = link.trim_start_matches(&app.url(""));

    let colleague = app.visitor();
    // An invited account cannot sign in before accepting.
    let early = colleague
        .post_form(
            "/login",
            &[
                ("email", "nora.klein@brightline.example"),
                ("password", NEW_PASSWORD),
            ],
        )
        .await;
    assert_eq!(early.status(), 422);
    assert_eq!(colleague.get(path).await.status(), 200);
    let accepted = colleague
        .post_form(
            path,
            &[("password", NEW_PASSWORD), ("confirmation", NEW_PASSWORD)],
        )
        .await;
    assert_eq!(accepted.status(), 303);
    let home = colleague.get("/").await.text().await.unwrap();
    assert!(home.contains("Nora Klein"), "{home}");
    assert!(
        home.contains("Finance at Brightline Distribution"),
        "{home}"
    );
    assert_eq!(
        colleague.get(path).await.status(),
        410,
        "the invitation works once"
    );
}

#[tokio::test]
async fn password_reset_sqlite() {
    password_reset_by_mail(Backend::Sqlite).await;
}

#[tokio::test]
async fn password_reset_postgres() {
    password_reset_by_mail(Backend::Postgres).await;
}

#[tokio::test]
async fn invitation_sqlite() {
    invitation_by_mail(Backend::Sqlite).await;
}

#[tokio::test]
async fn invitation_postgres() {
    invitation_by_mail(Backend::Postgres).await;
}

async fn user_id(app: &TestApp, email: &str) -> String {
    user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap()
        .id
        .to_string()
}

on_both_databases! {
    async fn partner_admins_deactivate_and_reactivate_colleagues(app) {
        let app = app.with_demo_program().await;
        let admin = app.signed_in(PARTNER_ADMIN).await;
        let colleague = app.signed_in(SALES).await;
        let lukas = user_id(&app, SALES).await;

        let response = admin.post_form(&format!("/users/{lukas}/deactivate"), &[]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(colleague.get("/users").await.status(), 303, "signed out at once");
        let again = app.visitor().post_form("/login", &[("email", SALES), ("password", portico::demo::DEMO_PASSWORD)]).await;
        assert_eq!(again.status(), 422, "a deactivated user cannot sign in");

        let listing = admin.get("/users").await.text().await.unwrap();
        assert!(listing.contains("deactivated"));
        assert_eq!(admin.post_form(&format!("/users/{lukas}/reactivate"), &[]).await.status(), 303);
        app.signed_in(SALES).await;

        // Nobody changes their own account here, or hands out a role above their own.
        let jana = user_id(&app, PARTNER_ADMIN).await;
        assert_eq!(admin.post_form(&format!("/users/{jana}/deactivate"), &[]).await.status(), 403);
        assert_eq!(admin.post_form(&format!("/users/{lukas}/role"), &[("role", "admin")]).await.status(), 403);
        assert_eq!(admin.post_form(&format!("/users/{lukas}/role"), &[("role", "partner_marketing")]).await.status(), 303);
        let account = user::Entity::find()
            .filter(user::Column::Email.eq(SALES))
            .one(&app.pool).await.unwrap().unwrap();
        assert_eq!(account.role, "partner_marketing");
    }

    async fn without_smtp_mail_waits_in_the_outbox_for_admins(app) {
        let app = app.with_demo_program().await;
        let partner_admin = app.signed_in(PARTNER_ADMIN).await;
        partner_admin
            .post_form("/users/invite", &[("email", "ole@brightline.example"), ("name", "Ole"), ("role", "sales")])
            .await;
        let admin = app.signed_in("alex.morgan@northwind.example").await;
        let outbox = admin.get("/admin/outbox").await.text().await.unwrap();
        assert!(outbox.contains("No SMTP server is configured"));
        assert!(outbox.contains("Jana Weber invites you to"), "{outbox}");
        assert!(outbox.contains("kept in outbox"));
        let link = outbox.split("href=\"/admin/outbox/").nth(1).unwrap().split('"').next().unwrap();
        let message = admin.get(&format!("/admin/outbox/{link}")).await.text().await.unwrap();
        assert!(message.contains("/invitation/"), "the admin can read the mail");
    }
}

on_both_databases! {
    async fn a_new_deployment_gets_its_first_administrator_from_the_command_line(app) {
        use portico::identity::bootstrap::{AdminInvitation, invite_administrator};
        let base_url = app.url("");
        let missing_vendor = invite_administrator(
            &app.pool,
            &base_url,
            AdminInvitation { email: "ops@vendor.example", name: "Ops", vendor_name: None, vendor_country: None },
        )
        .await
        .unwrap_err();
        assert!(missing_vendor.to_string().contains("--vendor-name"), "{missing_vendor}");

        let link = invite_administrator(
            &app.pool,
            &base_url,
            AdminInvitation {
                email: "Ops@Vendor.example",
                name: "Olga Ops",
                vendor_name: Some("Vendor Ltd"),
                vendor_country: Some("gb"),
            },
        )
        .await
        .unwrap();
        let path = link.trim_start_matches(&base_url);
        let visitor = app.visitor();
        let accepted = visitor
            .post_form(path, &[("password", NEW_PASSWORD), ("confirmation", NEW_PASSWORD)])
            .await;
        assert_eq!(accepted.status(), 303);
        // Administrators must set up two-factor sign-in before anything else.
        let first = visitor.get("/").await;
        assert_eq!(first.headers()["location"], "/profile/two-factor");
        let again = invite_administrator(
            &app.pool,
            &base_url,
            AdminInvitation { email: "ops@vendor.example", name: "Olga", vendor_name: None, vendor_country: None },
        )
        .await
        .unwrap_err();
        assert_eq!(again.to_string(), "ops@vendor.example already has an account");
    }
}
