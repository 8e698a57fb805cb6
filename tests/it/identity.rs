//! Sign-in, sessions, CSRF, throttling, the roles page and the audit trail they leave.

use portico::audit;
use portico::identity::entity::{session, user};
use sea_orm::{ActiveModelTrait, ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter};

use crate::helpers::on_both_databases;

const SALES: &str = "lukas.brandt@brightline.example";
const ADMIN: &str = "alex.morgan@northwind.example";

async fn audit_actions(app: &crate::helpers::TestApp) -> Vec<String> {
    use sea_orm::QueryOrder;
    audit::Entity::find()
        .order_by_asc(audit::Column::Seq)
        .all(&app.pool)
        .await
        .unwrap()
        .into_iter()
        .map(|row| row.action)
        .collect()
}

on_both_databases! {
    async fn signing_in_opens_a_session_and_is_audited(app) {
        let app = app.with_demo_program().await;
        let visitor = app.visitor();
        let response = visitor
            .post_form("/login", &[
                ("email", "  Lukas.Brandt@Brightline.example "),
                ("password", portico::demo::DEMO_PASSWORD),
                ("next", "/admin/roles?x=1"),
            ])
            .await;
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], "/admin/roles?x=1");
        let set_cookie = response.headers()["set-cookie"].to_str().unwrap().to_owned();
        assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Lax"), "{set_cookie}");

        let home = visitor.get("/").await.text().await.unwrap();
        assert!(home.contains("Lukas Brandt"), "{home}");
        assert!(home.contains("Sales at Brightline Distribution"), "{home}");
        assert!(home.contains("Sign out"));

        assert_eq!(audit_actions(&app).await, vec!["login.succeeded"]);
        let stored = session::Entity::find().all(&app.pool).await.unwrap();
        assert_eq!(stored.len(), 1);
        let token = visitor.cookie("portico_session").unwrap();
        assert_ne!(stored[0].id, token, "the database keeps only a digest of the token");
    }

    async fn wrong_password_and_unknown_address_get_the_same_answer(app) {
        let app = app.with_demo_program().await;
        let visitor = app.visitor();
        let wrong_password = visitor
            .post_form("/login", &[("email", SALES), ("password", "not the password at all")])
            .await;
        let unknown = visitor
            .post_form("/login", &[("email", "nobody@nowhere.example"), ("password", "whatever it is")])
            .await;
        assert_eq!(wrong_password.status(), 422);
        assert_eq!(unknown.status(), 422);
        let first = wrong_password.text().await.unwrap();
        let second = unknown.text().await.unwrap();
        let message = "That e-mail and password do not match an active account.";
        assert!(first.contains(message) && second.contains(message));
        assert!(first.contains(&format!("value=\"{SALES}\"")), "the form keeps the address typed");
        assert!(visitor.cookie("portico_session").is_none());
        assert_eq!(audit_actions(&app).await, vec!["login.failed", "login.failed"]);
    }

    async fn repeated_failures_make_sign_in_wait(app) {
        let app = app.with_demo_program().await;
        let visitor = app.visitor();
        for _ in 0..5 {
            let response = visitor
                .post_form("/login", &[("email", SALES), ("password", "guessing again and again")])
                .await;
            assert_eq!(response.status(), 422);
        }
        // Even the right password waits now: the throttle does not tell guesses apart.
        let response = visitor
            .post_form("/login", &[("email", SALES), ("password", portico::demo::DEMO_PASSWORD)])
            .await;
        assert_eq!(response.status(), 429);
        let html = response.text().await.unwrap();
        assert!(html.contains("Too many failed sign-ins"), "{html}");
        assert!(html.contains("Try again in 1 minute."), "{html}");

        // Another account from elsewhere is not held up by these failures.
        let other = app.signed_in(ADMIN).await;
        assert_eq!(other.get("/admin/roles").await.status(), 200);
    }

    async fn forms_without_the_csrf_token_change_nothing(app) {
        let app = app.with_demo_program().await;
        let visitor = app.visitor();
        visitor.csrf_token().await;
        let missing = visitor
            .post_raw("/login", &[("email", SALES), ("password", portico::demo::DEMO_PASSWORD)])
            .await;
        assert_eq!(missing.status(), 400);
        assert!(missing.text().await.unwrap().contains("This form could not be sent"));
        let forged = visitor
            .post_raw("/login", &[
                ("email", SALES),
                ("password", portico::demo::DEMO_PASSWORD),
                ("csrf_token", &"0".repeat(64)),
            ])
            .await;
        assert_eq!(forged.status(), 400);
        assert!(visitor.cookie("portico_session").is_none());
        assert!(audit_actions(&app).await.is_empty(), "nothing ran");

        // Signed in, sign-out without the token does not end the session either.
        let signed_in = app.signed_in(SALES).await;
        assert_eq!(signed_in.post_raw("/logout", &[]).await.status(), 400);
        assert_eq!(signed_in.get("/admin/roles").await.status(), 403, "still signed in");
    }

    async fn signing_out_ends_the_session_for_good(app) {
        let app = app.with_demo_program().await;
        let visitor = app.signed_in(SALES).await;
        let token = visitor.cookie("portico_session").unwrap();
        let response = visitor.post_form("/logout", &[]).await;
        assert_eq!(response.status(), 303);
        assert_eq!(response.headers()["location"], "/login?signed_out=1");
        assert!(session::Entity::find().all(&app.pool).await.unwrap().is_empty());

        // Replaying the old cookie gets nobody in.
        let replay = app
            .client
            .get(app.url("/admin/roles"))
            .header("cookie", format!("portico_session={token}"))
            .send()
            .await
            .unwrap();
        assert_eq!(replay.status(), 303);
        assert!(replay.headers()["location"].to_str().unwrap().starts_with("/login?next="));
        assert_eq!(audit_actions(&app).await, vec!["login.succeeded", "logout"]);
    }

    async fn idle_sessions_and_deactivated_users_are_signed_out(app) {
        let app = app.with_demo_program().await;
        let idle = app.signed_in(SALES).await;
        let stale = portico::platform::time::now() - time::Duration::hours(3);
        let mut row: session::ActiveModel = session::Entity::find()
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap()
            .into();
        row.last_seen_at = Set(stale);
        row.update(&app.pool).await.unwrap();
        assert_eq!(idle.get("/admin/roles").await.status(), 303, "idle too long");

        let admin = app.signed_in(ADMIN).await;
        assert_eq!(admin.get("/admin/roles").await.status(), 200);
        let account = user::Entity::find()
            .filter(user::Column::Email.eq(ADMIN))
            .one(&app.pool)
            .await
            .unwrap()
            .unwrap();
        let mut account: user::ActiveModel = account.into();
        account.status = Set("deactivated".into());
        account.update(&app.pool).await.unwrap();
        assert_eq!(admin.get("/admin/roles").await.status(), 303, "deactivated at once");
        assert!(session::Entity::find().all(&app.pool).await.unwrap().is_empty());
    }

    async fn roles_page_renders_the_matrix_for_admins_only(app) {
        let app = app.with_demo_program().await;
        let anonymous = app.visitor().get("/admin/roles").await;
        assert_eq!(anonymous.status(), 303);
        assert_eq!(anonymous.headers()["location"], "/login?next=%2Fadmin%2Froles");

        let sales = app.signed_in(SALES).await;
        let forbidden = sales.get("/admin/roles").await;
        assert_eq!(forbidden.status(), 403);
        assert!(forbidden.text().await.unwrap().contains("You do not have access to this page"));
        let sales_home = sales.get("/").await.text().await.unwrap();
        assert!(!sales_home.contains("href=\"/admin/roles\""), "navigation hides what the role cannot open");

        let admin = app.signed_in(ADMIN).await;
        let page = admin.get("/admin/roles").await.text().await.unwrap();
        for permission in portico::platform::scope::Permission::ALL {
            assert!(page.contains(permission.key()), "{} missing", permission.key());
        }
        assert!(page.contains("Partner administrator"));
        assert!(page.contains("assigned partners"), "reach is shown");
    }
}

on_both_databases! {
    async fn the_audit_page_filters_what_happened(app) {
        let app = app.with_demo_program().await;
        app.visitor().post_form("/login", &[("email", SALES), ("password", "a wrong guess here")]).await;
        app.signed_in(SALES).await;
        let auditor = app.signed_in("ruth.adler@northwind.example").await;
        let all = auditor.get("/admin/audit").await.text().await.unwrap();
        assert!(all.contains("login.failed") && all.contains("login.succeeded"), "{all}");
        let failures = auditor.get("/admin/audit?action=login.failed").await.text().await.unwrap();
        assert!(failures.contains("login.failed"));
        assert!(!failures.contains("<code>login.succeeded</code>"));
        let by_actor = auditor.get("/admin/audit?actor=ruth").await.text().await.unwrap();
        assert!(by_actor.contains("ruth.adler@northwind.example"));
        assert!(!by_actor.contains(SALES));
        // Everyone else reads only their own activity: no one else's, no organisation list.
        let own = app.signed_in("felix.wagner@brightline.example").await;
        let mine = own.get("/admin/audit").await.text().await.unwrap();
        assert!(mine.contains("<h1>Your activity</h1>"), "{mine}");
        assert!(mine.contains("felix.wagner@brightline.example"));
        assert!(!mine.contains(SALES), "{mine}");
        assert!(!mine.contains("ruth.adler"));
        assert!(!mine.contains("id=\"organization\""), "no organisation filter");
        let sneaky = own.get("/admin/audit?actor=lukas").await.text().await.unwrap();
        assert!(!sneaky.contains(SALES), "a filter cannot widen the view");

        let bad = auditor.get("/admin/audit?from=12.03.2026").await.text().await.unwrap();
        assert!(bad.contains("From: &quot;12.03.2026&quot; is not a date; use YYYY-MM-DD") || bad.contains("is not a date; use YYYY-MM-DD"), "{bad}");
    }

    async fn people_manage_their_own_profile_and_sessions(app) {
        let app = app.with_demo_program().await;
        let laptop = app.signed_in(SALES).await;
        let phone = app.signed_in(SALES).await;
        let page = laptop.get("/profile").await.text().await.unwrap();
        assert!(page.contains("signed in on 2 devices"), "{page}");

        let renamed = laptop.post_form("/profile/name", &[("display_name", "Lukas B. Brandt")]).await;
        assert_eq!(renamed.status(), 303);
        assert!(laptop.get("/").await.text().await.unwrap().contains("Lukas B. Brandt"));
        let empty = laptop.post_form("/profile/name", &[("display_name", "  ")]).await;
        assert_eq!(empty.status(), 422);

        let wrong = laptop
            .post_form("/profile/password", &[("current", "not it at all"), ("password", "fresh garden ladder"), ("confirmation", "fresh garden ladder")])
            .await;
        assert_eq!(wrong.status(), 422);
        assert!(wrong.text().await.unwrap().contains("Your current password is not right"));
        let changed = laptop
            .post_form("/profile/password", &[("current", portico::demo::DEMO_PASSWORD), ("password", "fresh garden ladder"), ("confirmation", "fresh garden ladder")])
            .await;
        assert_eq!(changed.status(), 303);
        assert_eq!(laptop.get("/profile").await.status(), 200, "this device stays signed in");
        assert_eq!(phone.get("/profile").await.status(), 303, "other devices are signed out");

        let everywhere = laptop.post_form("/profile/sign-out-everywhere", &[]).await;
        assert_eq!(everywhere.status(), 303);
        assert_eq!(laptop.get("/profile").await.status(), 303);
        assert!(session::Entity::find().all(&app.pool).await.unwrap().is_empty());
        let actions = audit_actions(&app).await;
        for action in ["user.renamed", "password.changed", "logout.everywhere"] {
            assert!(actions.iter().any(|a| a == action), "{action} audited");
        }
    }
}

fn code() -> String {
    portico::identity::second_factor::current_code(portico::demo::DEMO_ADMIN_TOTP_SECRET).unwrap()
}

on_both_databases! {
    async fn administrators_sign_in_with_a_second_factor(app) {
        let app = app.with_demo_program().await;
        let visitor = app.visitor();
        let password_step = visitor
            .post_form("/login", &[("email", ADMIN), ("password", portico::demo::DEMO_PASSWORD), ("next", "/partners")])
            .await;
        assert_eq!(password_step.status(), 303);
        assert_eq!(password_step.headers()["location"], "/login/second-factor?next=%2Fpartners");
        assert_eq!(visitor.get("/partners").await.status(), 303, "the password alone opens nothing");

        let wrong = visitor.post_form("/login/second-factor", &[("code", "12345"), ("next", "/partners")]).await;
        assert_eq!(wrong.status(), 422);
        assert!(wrong.text().await.unwrap().contains("That code is not right"));

        let right = visitor.post_form("/login/second-factor", &[("code", &code()), ("next", "/partners")]).await;
        assert_eq!(right.status(), 303);
        assert_eq!(right.headers()["location"], "/partners");
        assert_eq!(visitor.get("/partners").await.status(), 200);

        // The same code does not open a second session.
        let other = app.visitor();
        other.post_form("/login", &[("email", ADMIN), ("password", portico::demo::DEMO_PASSWORD)]).await;
        let replay = other.post_form("/login/second-factor", &[("code", &code())]).await;
        assert_eq!(replay.status(), 422, "a code works once");
        let actions = audit_actions(&app).await;
        assert_eq!(
            actions,
            vec!["login.password_verified", "login.failed", "login.succeeded", "login.password_verified", "login.failed"]
        );
    }

    async fn roles_that_require_a_second_factor_set_it_up_first(app) {
        let app = app.with_demo_program().await;
        let account = user::Entity::find()
            .filter(user::Column::Email.eq(ADMIN))
            .one(&app.pool).await.unwrap().unwrap();
        let mut without: user::ActiveModel = account.into();
        without.totp_secret = Set(None);
        without.update(&app.pool).await.unwrap();

        let admin = app.signed_in(ADMIN).await;
        let sent = admin.get("/partners").await;
        assert_eq!(sent.status(), 303);
        assert_eq!(sent.headers()["location"], "/profile/two-factor");
        let setup = admin.get("/profile/two-factor").await.text().await.unwrap();
        assert!(setup.contains("Your role requires two-factor sign-in"));
        assert!(setup.contains("<svg"), "a QR code to scan");

        let pending = user::Entity::find()
            .filter(user::Column::Email.eq(ADMIN))
            .one(&app.pool).await.unwrap().unwrap()
            .totp_pending_secret.expect("a key waits for confirmation");
        assert!(setup.contains(&pending[..4]), "the key is shown for typing");
        let wrong = admin.post_form("/profile/two-factor/enable", &[("code", "000000")]).await;
        assert_eq!(wrong.status(), 422);
        let code = portico::identity::second_factor::current_code(&pending).unwrap();
        let enabled = admin.post_form("/profile/two-factor/enable", &[("code", &code)]).await;
        assert_eq!(enabled.status(), 303);
        assert_eq!(admin.get("/partners").await.status(), 200);
        // Administrators cannot turn it off again.
        assert_eq!(admin.post_form("/profile/two-factor/disable", &[("code", "000000")]).await.status(), 403);
    }

    async fn other_users_may_turn_the_second_factor_on_and_off(app) {
        let app = app.with_demo_program().await;
        let sales = app.signed_in(SALES).await;
        sales.get("/profile/two-factor").await;
        let pending = user::Entity::find()
            .filter(user::Column::Email.eq(SALES))
            .one(&app.pool).await.unwrap().unwrap()
            .totp_pending_secret.unwrap();
        let code = portico::identity::second_factor::current_code(&pending).unwrap();
        assert_eq!(sales.post_form("/profile/two-factor/enable", &[("code", &code)]).await.status(), 303);
        let page = sales.get("/profile/two-factor").await.text().await.unwrap();
        assert!(page.contains("Two-factor sign-in is on"), "{page}");

        // Next sign-in asks for the code.
        let again = app.visitor();
        let step = again.post_form("/login", &[("email", SALES), ("password", portico::demo::DEMO_PASSWORD)]).await;
        assert!(step.headers()["location"].to_str().unwrap().starts_with("/login/second-factor"));

        // Turning it off needs a fresh code (the enabling one was used).
        let reused = sales.post_form("/profile/two-factor/disable", &[("code", &code)]).await;
        assert_eq!(reused.status(), 422);
    }
}

on_both_databases! {
    async fn support_views_the_portal_as_a_partner_user_read_only(app) {
        let app = app.with_demo_program().await;
        let lukas = user::Entity::find().filter(user::Column::Email.eq(SALES)).one(&app.pool).await.unwrap().unwrap();
        let support = app.signed_in("sam.okafor@northwind.example").await;
        let partner = support
            .get(&format!("/partners/{}", lukas.organization_id))
            .await
            .text()
            .await
            .unwrap();
        assert!(partner.contains("View as Lukas Brandt"), "{partner}");

        let started = support.post_form(&format!("/view-as/{}", lukas.id), &[]).await;
        assert_eq!(started.status(), 303);
        let home = support.get("/").await.text().await.unwrap();
        assert!(home.contains("Sam Okafor, you are viewing the portal as <strong>Lukas Brandt</strong>"), "{home}");
        assert!(home.contains("signed in as <strong>Lukas Brandt</strong>"));
        assert!(!home.contains("href=\"/partners\""), "Lukas's navigation, not Sam's");
        assert_eq!(support.get("/partners").await.status(), 200, "Lukas reads his own organisation");
        assert_eq!(support.get("/admin/roles").await.status(), 403);

        // Nothing changes while viewing, not even Lukas's own profile.
        let refused = support.post_form("/profile/name", &[("display_name", "Changed")]).await;
        assert_eq!(refused.status(), 403);
        let page = refused.text().await.unwrap();
        assert!(page.contains("You do not have access to this page"), "a page, not a blank: {page}");
        assert!(page.contains("you are viewing the portal as"), "the banner stays");
        assert_eq!(support.post_form("/profile/sign-out-everywhere", &[]).await.status(), 403);
        let unchanged = user::Entity::find_by_id(lukas.id).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(unchanged.display_name, "Lukas Brandt");

        let stopped = support.post_form("/view-as/stop", &[]).await;
        assert_eq!(stopped.status(), 303);
        assert_eq!(stopped.headers()["location"], format!("/partners/{}", lukas.organization_id).as_str());
        assert!(support.get("/").await.text().await.unwrap().contains("signed in as <strong>Sam Okafor</strong>"));

        let actions = audit_actions(&app).await;
        assert!(actions.ends_with(&["view_as.started".to_owned(), "view_as.stopped".to_owned()]), "{actions:?}");

        // Vendor staff cannot be viewed as; nor can anyone be without the permission.
        let auditor = user::Entity::find().filter(user::Column::Email.eq("ruth.adler@northwind.example")).one(&app.pool).await.unwrap().unwrap();
        assert_eq!(support.post_form(&format!("/view-as/{}", auditor.id), &[]).await.status(), 404);
        let manager = app.signed_in("priya.shah@northwind.example").await;
        assert_eq!(manager.post_form(&format!("/view-as/{}", lukas.id), &[]).await.status(), 403);
    }
}

on_both_databases! {
    async fn admins_require_the_second_factor_per_role_and_reset_lost_ones(app) {
        let app = app.with_demo_program().await;
        let admin = app.signed_in(ADMIN).await;
        let required = admin.post_form("/admin/roles/partner_finance/second-factor", &[("required", "yes")]).await;
        assert_eq!(required.status(), 303);
        let roles = admin.get(required.headers()["location"].to_str().unwrap()).await.text().await.unwrap();
        assert!(roles.contains("Two-factor sign-in is now required for Finance (partner)."), "{roles}");
        assert_eq!(
            admin.post_form("/admin/roles/admin/second-factor", &[("required", "no")]).await.status(),
            403,
            "administrators always need it"
        );

        let eva = app.signed_in("eva.hoffmann@brightline.example").await;
        let sent = eva.get("/").await;
        assert_eq!(sent.headers()["location"], "/profile/two-factor");
        admin.post_form("/admin/roles/partner_finance/second-factor", &[("required", "no")]).await;
        assert_eq!(eva.get("/").await.status(), 200);

        // Lukas loses his phone; his partner admin resets his second factor.
        let lukas = app.signed_in(SALES).await;
        lukas.get("/profile/two-factor").await;
        let account = user::Entity::find().filter(user::Column::Email.eq(SALES)).one(&app.pool).await.unwrap().unwrap();
        let code = portico::identity::second_factor::current_code(account.totp_pending_secret.as_deref().unwrap()).unwrap();
        lukas.post_form("/profile/two-factor/enable", &[("code", &code)]).await;
        let jana = app.signed_in("jana.weber@brightline.example").await;
        let reset = jana.post_form(&format!("/users/{}/reset-second-factor", account.id), &[]).await;
        assert_eq!(reset.status(), 303);
        let after = user::Entity::find_by_id(account.id).one(&app.pool).await.unwrap().unwrap();
        assert!(after.totp_secret.is_none());
        assert_eq!(lukas.get("/profile").await.status(), 303, "signed out");
        let again = app.visitor().post_form("/login", &[("email", SALES), ("password", portico::demo::DEMO_PASSWORD)]).await;
        assert_eq!(again.headers()["location"], "/", "no second factor asked any more");
    }
}

#[tokio::test]
async fn audit_verify_names_the_row_that_was_altered_or_removed() {
    use crate::helpers::{Backend, TestApp};
    use sea_orm::ConnectionTrait;
    let app = TestApp::spawn(Backend::Sqlite)
        .await
        .unwrap()
        .with_demo_program()
        .await;
    for _ in 0..3 {
        app.signed_in(SALES).await;
    }
    let intact = audit::verify(&app.pool).await.unwrap();
    assert_eq!(intact.rows_checked, 3);
    assert_eq!(intact.first_problem, None);

    // Someone edits row 2 directly in the database.
    app.pool
        .execute_unprepared("UPDATE audit_event SET client_address = '10.9.9.9' WHERE seq = 2")
        .await
        .unwrap();
    let altered = audit::verify(&app.pool).await.unwrap();
    let problem = altered.first_problem.unwrap();
    assert!(
        problem.starts_with("audit row 2 (login.succeeded"),
        "{problem}"
    );
    assert_eq!(altered.rows_checked, 1);

    // Removing the last row is caught too.
    app.pool
        .execute_unprepared("UPDATE audit_event SET client_address = '127.0.0.1' WHERE seq = 2")
        .await
        .unwrap();
    assert_eq!(audit::verify(&app.pool).await.unwrap().first_problem, None);
    app.pool
        .execute_unprepared("DELETE FROM audit_event WHERE seq = 3")
        .await
        .unwrap();
    let removed = audit::verify(&app.pool)
        .await
        .unwrap()
        .first_problem
        .unwrap();
    assert_eq!(
        removed,
        "audit rows 3 to 3 were removed from the end of the log"
    );
}
