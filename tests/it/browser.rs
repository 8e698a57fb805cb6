//! Browser tests: headless Chromium loads the real pages and checks what a person sees.
//! Elements are looked up with `element`, which waits for them (pages load asynchronously).

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
    let heading = element(driver, By::Tag("h1")).await;
    assert_eq!(heading.text().await.unwrap(), "Welcome to Partner portal");

    // Our stylesheet loaded: the card has its border and the current section is marked.
    let current = element(driver, By::Css("nav a[aria-current='page']")).await;
    assert_eq!(current.text().await.unwrap(), "Home");
    let card = element(driver, By::Css(".card")).await;
    assert_eq!(card.css_value("border-top-style").await.unwrap(), "solid");

    // Our script ran: on a wide screen the menu button stays hidden, the navigation shows.
    let html_class = element(driver, By::Tag("html"))
        .await
        .attr("class")
        .await
        .unwrap();
    assert_eq!(html_class.as_deref(), Some("js"));
    assert!(
        element(driver, By::Id("site-nav"))
            .await
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
    let menu = element(driver, By::Css(".nav-toggle")).await;
    let nav = element(driver, By::Id("site-nav")).await;
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

    driver.goto(app.url("/nothing-here/ORD-404")).await.unwrap();
    let heading = element(driver, By::Tag("h1")).await;
    assert_eq!(heading.text().await.unwrap(), "Page not found");
    click(driver, By::LinkText("Go to the home page")).await;
    wait_for_path(driver, "/").await;
    assert_eq!(
        text_of(driver, By::Tag("h1")).await,
        "Welcome to Partner portal"
    );

    browser.quit().await;
}

/// The first element matching, waiting for it to appear (pages load asynchronously).
async fn element(driver: &WebDriver, by: By) -> WebElement {
    driver.query(by).first().await.unwrap()
}

async fn text_of(driver: &WebDriver, by: By) -> String {
    element(driver, by).await.text().await.unwrap()
}

/// Clicks the first element matching. An element found just before the page it was on gave way
/// to the next one (a busy machine) is stale: it is found again on the page now shown.
async fn click(driver: &WebDriver, by: By) {
    for _ in 0..50 {
        match element(driver, by.clone()).await.click().await {
            Ok(()) => return,
            Err(error)
                if matches!(
                    error.as_inner(),
                    thirtyfour::error::WebDriverErrorInner::StaleElementReference(_)
                ) =>
            {
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
            Err(error) => panic!("click on {by:?}: {error}"),
        }
    }
    panic!("{by:?} went stale fifty times in five seconds");
}

async fn type_into(driver: &WebDriver, by: By, text: &str) {
    element(driver, by).await.send_keys(text).await.unwrap();
}

async fn sign_in(driver: &WebDriver, app: &TestApp, email: &str, password: &str) {
    driver.goto(app.url("/login")).await.unwrap();
    type_into(driver, By::Id("email"), email).await;
    type_into(driver, By::Id("password"), password).await;
    click(driver, By::Css("form button[type='submit']")).await;
    // Wait for the next page: signed in (the user menu), or asked for the second factor; neither
    // is on the sign-in page.
    element(driver, By::Css(".who, #code")).await;
    if driver.current_url().await.unwrap().path() == "/login/second-factor" {
        let code =
            portico::identity::second_factor::current_code(portico::demo::DEMO_ADMIN_TOTP_SECRET)
                .unwrap();
        type_into(driver, By::Id("code"), &code).await;
        click(driver, By::Css("form button[type='submit']")).await;
        element(driver, By::Css(".who")).await;
    }
}

/// Waits (up to 10 s) until the browser is at `path`. It polls the address, not an element, so
/// a page being replaced cannot leave it holding a stale element.
async fn wait_for_path(driver: &WebDriver, path: &str) {
    for _ in 0..100 {
        if driver.current_url().await.unwrap().path() == path {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the browser never reached {path}");
}

/// Signs out and waits for the sign-in page, so the next navigation cannot race it.
async fn sign_out(driver: &WebDriver) {
    click(driver, By::Css(".usermenu button")).await;
    wait_for_path(driver, "/login").await;
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
    let greeting = text_of(driver, By::Css("main .card")).await;
    assert!(
        greeting.contains("signed in as Lukas Brandt, Sales at Brightline Distribution"),
        "{greeting}"
    );
    assert_eq!(
        navigation(driver).await,
        vec![
            "Home",
            "Organisation",
            "Orders",
            "Catalogue",
            "Support",
            "Library",
            "Your activity"
        ]
    );

    // Typing a forbidden address says so in words.
    driver.goto(app.url("/admin/roles")).await.unwrap();
    let heading = text_of(driver, By::Tag("h1")).await;
    assert_eq!(heading, "You do not have access to this page");

    sign_out(driver).await;
    let notice = text_of(driver, By::Css(".flash")).await;
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
            "Orders",
            "Catalogue",
            "Commissions",
            "Support",
            "Library",
            "Status",
            "Webhooks",
            "API tokens",
            "Users",
            "Staff",
            "Mail outbox",
            "Jobs",
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
    click(driver, By::LinkText("Users")).await;
    type_into(
        driver,
        By::Id("invite-email"),
        "nora.klein@brightline.example",
    )
    .await;
    type_into(driver, By::Id("invite-name"), "Nora Klein").await;
    click(
        driver,
        By::Css("#invite-role option[value='partner_finance']"),
    )
    .await;
    click(driver, By::Css("#invite button[type='submit']")).await;
    let flash = text_of(driver, By::Css(".flash")).await;
    assert_eq!(
        flash,
        "Invitation sent to nora.klein@brightline.example. The link in it works for 7 days."
    );
    sign_out(driver).await;

    let mail = smtp.wait_for(1).await.remove(0);
    let link = mail
        .link(&app.url("/invitation/"))
        .expect("invitation link in the mail");
    driver.goto(&link).await.unwrap();
    let heading = text_of(driver, By::Tag("h1")).await;
    assert_eq!(heading, "Welcome: choose your password");
    let password = "lantern orchard seventeen";
    type_into(driver, By::Id("password"), password).await;
    type_into(driver, By::Id("confirmation"), password).await;
    click(driver, By::Css("main form button[type='submit']")).await;
    let who = text_of(driver, By::Css(".who")).await;
    assert_eq!(who, "Nora Klein Brightline Distribution · Finance");

    // And she can come back another day with her own password.
    sign_out(driver).await;
    sign_in(driver, &app, "nora.klein@brightline.example", password).await;
    let who = text_of(driver, By::Css(".who")).await;
    assert!(who.starts_with("Nora Klein"), "{who}");
    browser.quit().await;
}

/// Waits (up to 10 s) until the browser's address satisfies `test`.
/// The test gets the path and the query.
async fn wait_for_address(driver: &WebDriver, what: &str, test: impl Fn(&str, &str) -> bool) {
    for _ in 0..100 {
        let url = driver.current_url().await.unwrap();
        if test(url.path(), url.query().unwrap_or_default()) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the browser never reached {what}");
}

#[tokio::test]
async fn a_partner_answers_on_a_blocked_order_and_the_vendor_reads_it() {
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

    // Find the blocked orders from the list's filter.
    click(driver, By::LinkText("Orders")).await;
    wait_for_path(driver, "/orders").await;
    click(driver, By::Css("#blocked option[value='yes']")).await;
    click(driver, By::Css("form.filters button[type='submit']")).await;
    wait_for_address(driver, "the blocked orders", |_, query| {
        query.contains("blocked=yes")
    })
    .await;
    let badges = driver.find_all(By::Css("tbody .badge-red")).await.unwrap();
    assert!(
        !badges.is_empty(),
        "the demo has blocked orders for Brightline"
    );
    // Its own order, not one of its resellers' (those it reads but does not write in).
    let mut own = None;
    for row in driver.find_all(By::Css("tbody tr")).await.unwrap() {
        if row
            .text()
            .await
            .unwrap()
            .contains("Brightline Distribution")
        {
            own = Some(row.find(By::Css("th a")).await.unwrap());
            break;
        }
    }
    let link = own.expect("a blocked order of Brightline's own");
    let number = link.text().await.unwrap();
    link.click().await.unwrap();
    wait_for_address(driver, "an order page", |path, _| {
        path.starts_with("/orders/0")
    })
    .await;
    let order_path = driver.current_url().await.unwrap().path().to_owned();

    // Why it is blocked and who must act, in words.
    let panel = text_of(driver, By::Css(".blocked-panel")).await;
    assert!(panel.contains("Why:"), "{panel}");
    assert!(panel.contains("Who must act:"), "{panel}");
    assert_eq!(
        text_of(driver, By::Tag("h1")).await,
        format!("Order {number}")
    );
    // Partners never see the vendor's internal notes, nor the option to write one.
    let discussion = text_of(driver, By::Id("discussion")).await;
    assert!(!discussion.contains("internal"), "{discussion}");
    assert!(!discussion.contains("Checked the account"), "{discussion}");

    type_into(
        driver,
        By::Id("message-body"),
        "We sent the loading-dock details to your logistics team this morning.",
    )
    .await;
    click(driver, By::Css(".thread-form button[type='submit']")).await;
    wait_for_address(driver, "the order after sending", |_, query| {
        query.contains("done=")
    })
    .await;
    assert!(
        text_of(driver, By::Css(".flash"))
            .await
            .starts_with("You added a message to order")
    );
    sign_out(driver).await;

    // Operations read the answer on the order, with the internal note the partner never saw.
    sign_in(
        driver,
        &app,
        "olivia.grant@northwind.example",
        portico::demo::DEMO_PASSWORD,
    )
    .await;
    driver.goto(app.url(&order_path)).await.unwrap();
    let discussion = text_of(driver, By::Id("discussion")).await;
    assert!(
        discussion
            .contains("We sent the loading-dock details to your logistics team this morning."),
        "{discussion}"
    );
    assert!(discussion.contains("Lukas Brandt (Brightline Distribution)"));
    // She follows the order (she wrote in it), so the bell tells her too.
    click(driver, By::Css(".bell")).await;
    wait_for_path(driver, "/notifications").await;
    let inbox = text_of(driver, By::Css("main")).await;
    assert!(
        inbox.contains(&format!("New message on order {number}")),
        "{inbox}"
    );
    browser.quit().await;
}

#[tokio::test]
async fn a_partner_disputes_a_commission_line_and_finance_answers() {
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
        "anna.kessler@kessler-it.example",
        portico::demo::DEMO_PASSWORD,
    )
    .await;

    // From the statements, the oldest one; from it, a line with the sentence that explains it.
    click(driver, By::LinkText("Commissions")).await;
    wait_for_path(driver, "/commissions").await;
    assert!(
        text_of(driver, By::Css("main"))
            .await
            .contains("Earnings to date")
    );
    let statements = driver
        .find_all(By::Css("tbody th a[href^='/commissions/statements/']"))
        .await
        .unwrap();
    let oldest = statements.last().expect("Kessler IT has statements");
    let number = oldest.text().await.unwrap();
    oldest.click().await.unwrap();
    wait_for_address(driver, "a statement", |path, _| {
        path.starts_with("/commissions/statements/")
    })
    .await;
    assert_eq!(
        text_of(driver, By::Tag("h1")).await,
        format!("Statement {number}")
    );
    let lines = text_of(driver, By::Css("section[aria-labelledby='lines-heading']")).await;
    assert!(lines.contains("Order ORD-"), "{lines}");
    click(driver, By::Css("a[href^='/commissions/lines/']")).await;
    wait_for_address(driver, "a commission line", |path, _| {
        path.starts_with("/commissions/lines/")
    })
    .await;
    let line_path = driver.current_url().await.unwrap().path().to_owned();
    let calculation = text_of(driver, By::Css(".explanation")).await;
    assert!(calculation.contains(" under '"), "{calculation}");

    type_into(
        driver,
        By::Id("dispute-body"),
        "Our Gold upgrade was in January; this line uses the old rate.",
    )
    .await;
    click(driver, By::Css("form[action$='/dispute'] button")).await;
    wait_for_address(driver, "the line after disputing", |_, query| {
        query.contains("done=")
    })
    .await;
    assert!(
        text_of(driver, By::Css(".flash"))
            .await
            .starts_with("Your dispute is with finance")
    );
    assert!(
        text_of(driver, By::Id("dispute-heading"))
            .await
            .contains("Disputed")
    );
    sign_out(driver).await;

    // Finance find it in the queue, answer and resolve it with an adjustment.
    sign_in(
        driver,
        &app,
        "tom.becker@northwind.example",
        portico::demo::DEMO_PASSWORD,
    )
    .await;
    driver.goto(app.url("/commissions/disputes")).await.unwrap();
    let queue = text_of(driver, By::Css("main")).await;
    assert!(queue.contains("Kessler IT Solutions"), "{queue}");
    driver
        .goto(app.url(&format!("{line_path}#discussion")))
        .await
        .unwrap();
    let discussion = text_of(driver, By::Id("discussion")).await;
    assert!(
        discussion.contains("Our Gold upgrade was in January"),
        "{discussion}"
    );
    type_into(
        driver,
        By::Id("message-body"),
        "Checked: the upgrade was approved on 9 January. We will adjust the line.",
    )
    .await;
    click(driver, By::Css(".thread-form button[type='submit']")).await;
    wait_for_address(driver, "the line after answering", |_, query| {
        query.contains("done=")
    })
    .await;
    type_into(
        driver,
        By::Id("resolution"),
        "Gold rate applied from 9 January.",
    )
    .await;
    type_into(driver, By::Id("adjustment"), "14.20").await;
    click(driver, By::Css("form[action$='/resolve'] button")).await;
    wait_for_address(driver, "the line after resolving", |_, query| {
        query.contains("done=")
    })
    .await;
    sign_out(driver).await;

    // The partner sees who answered, what was decided, and the adjustment to come.
    sign_in(
        driver,
        &app,
        "anna.kessler@kessler-it.example",
        portico::demo::DEMO_PASSWORD,
    )
    .await;
    driver.goto(app.url(&line_path)).await.unwrap();
    assert!(
        text_of(driver, By::Id("dispute-heading"))
            .await
            .contains("Dispute resolved")
    );
    let discussion = text_of(driver, By::Id("discussion")).await;
    assert!(
        discussion.contains("Tom Becker (Northwind Networks)"),
        "{discussion}"
    );
    assert!(
        discussion.contains("We will adjust the line."),
        "{discussion}"
    );
    assert!(
        discussion.contains("An adjustment of +EUR 14.20"),
        "{discussion}"
    );
    browser.quit().await;
}

#[tokio::test]
async fn a_reseller_asks_about_a_commission_line_and_support_answers() {
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
        "anna.kessler@kessler-it.example",
        portico::demo::DEMO_PASSWORD,
    )
    .await;

    // From a statement's line, "Ask support about this line" opens the form with the link.
    click(driver, By::LinkText("Commissions")).await;
    wait_for_path(driver, "/commissions").await;
    click(
        driver,
        By::Css("tbody th a[href^='/commissions/statements/']"),
    )
    .await;
    wait_for_address(driver, "a statement", |path, _| {
        path.starts_with("/commissions/statements/")
    })
    .await;
    click(driver, By::Css("a[href^='/commissions/lines/']")).await;
    wait_for_address(driver, "a commission line", |path, _| {
        path.starts_with("/commissions/lines/")
    })
    .await;
    let explanation = text_of(driver, By::Css(".explanation")).await;
    click(driver, By::LinkText("Ask support about this line")).await;
    wait_for_path(driver, "/support/new").await;
    let context = text_of(driver, By::Css(".title-row .context")).await;
    assert!(context.starts_with("About Commission line"), "{context}");
    assert!(context.contains(&explanation), "{context}");
    let subject = element(driver, By::Id("subject")).await;
    subject.clear().await.unwrap();
    subject
        .send_keys("Rate on this line looks too low")
        .await
        .unwrap();
    type_into(
        driver,
        By::Id("body"),
        "We were Gold from January; this line seems to use the Silver rate.",
    )
    .await;
    click(
        driver,
        By::Css("form[action='/support'] button[type='submit']"),
    )
    .await;
    wait_for_address(driver, "the new request", |path, query| {
        path.starts_with("/support/") && query.contains("done=")
    })
    .await;
    let request_path = driver.current_url().await.unwrap().path().to_owned();
    assert!(
        text_of(driver, By::Css(".flash"))
            .await
            .contains("received")
    );
    let owner = text_of(driver, By::Id("owner")).await;
    assert!(owner.starts_with("Not yet assigned"), "{owner}");
    let targets = text_of(driver, By::Css("section[aria-labelledby='sla-heading']")).await;
    assert!(targets.contains("Response due in"), "{targets}");
    assert!(targets.contains("(business hours)"), "{targets}");
    sign_out(driver).await;

    // The support agent takes it and answers.
    sign_in(
        driver,
        &app,
        "leon.marsh@northwind.example",
        portico::demo::DEMO_PASSWORD,
    )
    .await;
    driver
        .goto(app.url("/support?view=unassigned"))
        .await
        .unwrap();
    let queue = text_of(driver, By::Css("main")).await;
    assert!(queue.contains("Rate on this line looks too low"), "{queue}");
    assert!(queue.contains("Kessler IT Solutions"), "{queue}");
    driver.goto(app.url(&request_path)).await.unwrap();
    let choice = element(driver, By::Id("owner-choice")).await;
    choice
        .find(By::XPath("./option[normalize-space()='Leon Marsh']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    click(driver, By::Css("form[action$='/assign'] button")).await;
    wait_for_address(driver, "the request after assigning", |_, query| {
        query.contains("done=")
    })
    .await;
    type_into(
        driver,
        By::Id("message-body"),
        "You are right: the Gold rate applies from 9 January. Finance correct it on the next statement.",
    )
    .await;
    click(driver, By::Css(".thread-form button[type='submit']")).await;
    wait_for_address(driver, "the request after answering", |_, query| {
        query.contains("done=")
    })
    .await;
    sign_out(driver).await;

    // The partner sees the owner and the reply.
    sign_in(
        driver,
        &app,
        "anna.kessler@kessler-it.example",
        portico::demo::DEMO_PASSWORD,
    )
    .await;
    click(driver, By::LinkText("Support")).await;
    wait_for_path(driver, "/support").await;
    let list = text_of(driver, By::Css("main")).await;
    assert!(list.contains("Rate on this line looks too low"), "{list}");
    assert!(list.contains("Leon Marsh"), "{list}");
    driver.goto(app.url(&request_path)).await.unwrap();
    assert_eq!(text_of(driver, By::Id("owner")).await, "Leon Marsh");
    let conversation = text_of(driver, By::Id("discussion")).await;
    assert!(
        conversation.contains("the Gold rate applies from 9 January"),
        "{conversation}"
    );
    assert!(
        conversation.contains("Leon Marsh (Northwind Networks)"),
        "{conversation}"
    );
    let targets = text_of(driver, By::Css("section[aria-labelledby='sla-heading']")).await;
    assert!(targets.contains("Response within target"), "{targets}");
    browser.quit().await;
}

#[tokio::test]
async fn a_resellers_marketer_finds_the_current_german_deck_and_is_never_offered_an_old_one() {
    use portico::assets::entity::{asset, download};
    use portico::identity::entity::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

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
        "sofia.roth@kessler-it.example",
        portico::demo::DEMO_PASSWORD,
    )
    .await;
    click(driver, By::LinkText("Library")).await;
    wait_for_path(driver, "/library").await;

    // Each choice applies at once; the other facets then count only what is left.
    click(driver, By::Css("#facet-language option[value='German']")).await;
    wait_for_address(driver, "German assets", |_, query| {
        query.contains("language=German")
    })
    .await;
    click(driver, By::Css("#facet-type option[value='deck']")).await;
    wait_for_address(driver, "German decks", |_, query| {
        query.contains("type=deck")
    })
    .await;
    let lines = driver
        .find_all(By::Css("#facet-product_line option"))
        .await
        .unwrap();
    let mut line = String::new();
    for option in lines {
        let value = option.attr("value").await.unwrap().unwrap_or_default();
        if !value.is_empty() {
            line = value;
            break;
        }
    }
    assert!(
        !line.is_empty(),
        "the reseller has German decks of some product line"
    );
    click(
        driver,
        By::Css(format!("#facet-product_line option[value='{line}']")),
    )
    .await;
    wait_for_address(driver, "German decks of one line", |_, query| {
        query.contains("product_line=")
    })
    .await;
    let rows = driver.find_all(By::Css("tbody tr")).await.unwrap();
    assert!(!rows.is_empty());
    for row in &rows {
        let text = row.text().await.unwrap();
        assert!(
            text.contains("deck") && text.contains("German") && text.contains(&line),
            "{text}"
        );
    }
    let title = text_of(driver, By::Css("tbody tr th a")).await;
    click(driver, By::Css("tbody tr th a")).await;
    wait_for_address(driver, "the asset's page", |path, _| {
        path.starts_with("/library/0")
    })
    .await;
    let saved = asset::Entity::find()
        .filter(asset::Column::Title.eq(title.as_str()))
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap();
    assert!(
        saved.current_version > 1,
        "demo decks have several versions"
    );

    // Partners see that it changed, and only the current file is offered.
    let page = text_of(driver, By::Tag("main")).await;
    assert!(
        page.contains(&format!("(was v{})", saved.current_version - 1)),
        "{page}"
    );
    assert!(page.contains("superseded"), "the history is listed: {page}");
    let links = driver.find_all(By::Css("main a")).await.unwrap();
    for link in &links {
        let href = link.attr("href").await.unwrap().unwrap_or_default();
        assert!(
            !href.contains("/versions/"),
            "a superseded version is offered: {href}"
        );
    }
    click(driver, By::Css("a.button-primary[href$='/download']")).await;

    // The download the browser made is counted against her and the current version.
    let sofia = user::Entity::find()
        .filter(user::Column::Email.eq("sofia.roth@kessler-it.example"))
        .one(&app.pool)
        .await
        .unwrap()
        .unwrap();
    let mut taken = Vec::new();
    for _ in 0..100 {
        taken = download::Entity::find()
            .filter(download::Column::UserId.eq(sofia.id))
            .filter(download::Column::AssetId.eq(saved.id))
            .all(&app.pool)
            .await
            .unwrap();
        if !taken.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(taken.len(), 1, "one download");
    assert_eq!(taken[0].version, saved.current_version);
    browser.quit().await;
}
