//! Browser tests: headless Chromium loads the real pages and checks what a person sees.
//! Elements are looked up with `query`, which waits for them (pages load asynchronously).

use thirtyfour::prelude::*;

use crate::helpers::{Backend, Browser, TestApp, TestSmtp};

#[tokio::test]
async fn home_page_as_a_person_sees_it() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let driver = &browser.driver;

    driver.goto(app.url("/")).await.unwrap();
    assert_eq!(driver.title().await.unwrap(), "Home · Partner portal");
    let heading = driver.query(By::Tag("h1")).first().await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "Welcome to Partner portal");

    // Our stylesheet loaded: the card has its border and the current section is marked.
    let current = driver
        .query(By::Css("nav a[aria-current='page']"))
        .first()
        .await
        .unwrap();
    assert_eq!(current.text().await.unwrap(), "Home");
    let card = driver.query(By::Css(".card")).first().await.unwrap();
    assert_eq!(card.css_value("border-top-style").await.unwrap(), "solid");

    // Our script ran: on a wide screen the menu button stays hidden, the navigation shows.
    let html_class = driver
        .query(By::Tag("html"))
        .first()
        .await
        .unwrap()
        .attr("class")
        .await
        .unwrap();
    assert_eq!(html_class.as_deref(), Some("js"));
    assert!(
        driver
            .query(By::Id("site-nav"))
            .first()
            .await
            .unwrap()
            .is_displayed()
            .await
            .unwrap()
    );

    browser.quit().await;
}

#[tokio::test]
async fn narrow_screens_fold_the_navigation_behind_a_menu_button() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let driver = &browser.driver;
    driver.set_window_rect(0, 0, 390, 800).await.unwrap();

    driver.goto(app.url("/")).await.unwrap();
    let menu = driver.query(By::Css(".nav-toggle")).first().await.unwrap();
    let nav = driver.query(By::Id("site-nav")).first().await.unwrap();
    assert!(menu.is_displayed().await.unwrap());
    assert!(!nav.is_displayed().await.unwrap());

    menu.click().await.unwrap();
    assert!(nav.is_displayed().await.unwrap());
    assert_eq!(
        menu.attr("aria-expanded").await.unwrap().as_deref(),
        Some("true")
    );

    browser.quit().await;
}

#[tokio::test]
async fn missing_page_tells_a_person_what_to_do() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let driver = &browser.driver;

    driver.goto(app.url("/orders/ORD-404")).await.unwrap();
    let heading = driver.query(By::Tag("h1")).first().await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "Page not found");
    driver
        .query(By::LinkText("Go to the home page"))
        .first()
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(driver.current_url().await.unwrap().path(), "/");

    browser.quit().await;
}

async fn sign_in(driver: &WebDriver, app: &TestApp, email: &str, password: &str) {
    driver.goto(app.url("/login")).await.unwrap();
    driver
        .query(By::Id("email"))
        .first()
        .await
        .unwrap()
        .send_keys(email)
        .await
        .unwrap();
    driver
        .query(By::Id("password"))
        .first()
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    driver
        .query(By::Css("form button[type='submit']"))
        .first()
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    if driver.current_url().await.unwrap().path() == "/login/second-factor" {
        let code =
            portico::identity::second_factor::current_code(portico::demo::DEMO_ADMIN_TOTP_SECRET)
                .unwrap();
        driver
            .query(By::Id("code"))
            .first()
            .await
            .unwrap()
            .send_keys(&code)
            .await
            .unwrap();
        driver
            .query(By::Css("form button[type='submit']"))
            .first()
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
    }
}

async fn navigation(driver: &WebDriver) -> Vec<String> {
    let mut labels = Vec::new();
    for link in driver.find_all(By::Css("#site-nav a")).await.unwrap() {
        labels.push(link.text().await.unwrap());
    }
    labels
}

#[tokio::test]
async fn each_role_sees_only_the_navigation_it_may_use() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite)
        .await
        .unwrap()
        .with_demo_program()
        .await;
    let driver = &browser.driver;

    sign_in(
        driver,
        &app,
        "lukas.brandt@brightline.example",
        portico::demo::DEMO_PASSWORD,
    )
    .await;
    let greeting = driver
        .query(By::Css("main .card"))
        .first()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        greeting.contains("signed in as Lukas Brandt, Sales at Brightline Distribution"),
        "{greeting}"
    );
    assert_eq!(
        navigation(driver).await,
        vec!["Home", "Organisation", "Your activity"]
    );

    // Typing a forbidden address says so in words.
    driver.goto(app.url("/admin/roles")).await.unwrap();
    let heading = driver
        .query(By::Tag("h1"))
        .first()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "You do not have access to this page");

    driver
        .query(By::Css(".usermenu button"))
        .first()
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let notice = driver
        .query(By::Css(".flash"))
        .first()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(notice, "You are signed out.");

    sign_in(
        driver,
        &app,
        "alex.morgan@northwind.example",
        portico::demo::DEMO_PASSWORD,
    )
    .await;
    assert_eq!(
        navigation(driver).await,
        vec![
            "Home",
            "Partners",
            "Users",
            "Staff",
            "Mail outbox",
            "Audit log",
            "Roles"
        ]
    );
    browser.quit().await;
}

#[tokio::test]
async fn a_partner_admin_invites_a_colleague_who_starts_from_the_mail() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let smtp = TestSmtp::start().await;
    let app = TestApp::spawn_with_smtp(Backend::Sqlite, &smtp)
        .await
        .unwrap()
        .with_demo_program()
        .await;
    let driver = &browser.driver;

    sign_in(
        driver,
        &app,
        "jana.weber@brightline.example",
        portico::demo::DEMO_PASSWORD,
    )
    .await;
    driver
        .query(By::LinkText("Users"))
        .first()
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    driver
        .query(By::Id("invite-email"))
        .first()
        .await
        .unwrap()
        .send_keys("nora.klein@brightline.example")
        .await
        .unwrap();
    driver
        .query(By::Id("invite-name"))
        .first()
        .await
        .unwrap()
        .send_keys("Nora Klein")
        .await
        .unwrap();
    driver
        .query(By::Css("#invite-role option[value='partner_finance']"))
        .first()
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    driver
        .query(By::Css("#invite button[type='submit']"))
        .first()
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let flash = driver
        .query(By::Css(".flash"))
        .first()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        flash,
        "Invitation sent to nora.klein@brightline.example. The link in it works for 7 days."
    );
    driver
        .query(By::Css(".usermenu button"))
        .first()
        .await
        .unwrap()
        .click()
        .await
        .unwrap();

    let mail = smtp.wait_for(1).await.remove(0);
    let link = mail
        .link(&app.url("/invitation/"))
        .expect("invitation link in the mail");
    driver.goto(&link).await.unwrap();
    let heading = driver
        .query(By::Tag("h1"))
        .first()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(heading, "Welcome: choose your password");
    let password = "lantern orchard seventeen";
    driver
        .query(By::Id("password"))
        .first()
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    driver
        .query(By::Id("confirmation"))
        .first()
        .await
        .unwrap()
        .send_keys(password)
        .await
        .unwrap();
    driver
        .query(By::Css("main form button[type='submit']"))
        .first()
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let who = driver
        .query(By::Css(".who"))
        .first()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(who, "Nora Klein Brightline Distribution · Finance");

    // And she can come back another day with her own password.
    driver
        .query(By::Css(".usermenu button"))
        .first()
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    sign_in(driver, &app, "nora.klein@brightline.example", password).await;
    let who = driver
        .query(By::Css(".who"))
        .first()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(who.starts_with("Nora Klein"), "{who}");
    browser.quit().await;
}
