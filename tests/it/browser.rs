//! Browser tests: headless Chromium loads the real pages and checks what a person sees.

use thirtyfour::prelude::*;

use crate::helpers::{Backend, Browser, TestApp};

#[tokio::test]
async fn home_page_as_a_person_sees_it() {
    let Some(browser) = Browser::start().await else {
        return;
    };
    let app = TestApp::spawn(Backend::Sqlite).await.unwrap();
    let driver = &browser.driver;

    driver.goto(app.url("/")).await.unwrap();
    assert_eq!(driver.title().await.unwrap(), "Home · Partner portal");
    let heading = driver.find(By::Tag("h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "Welcome to Partner portal");

    // Our stylesheet loaded: the card has its border and the current section is marked.
    let current = driver
        .find(By::Css("nav a[aria-current='page']"))
        .await
        .unwrap();
    assert_eq!(current.text().await.unwrap(), "Home");
    let card = driver.find(By::Css(".card")).await.unwrap();
    assert_eq!(card.css_value("border-top-style").await.unwrap(), "solid");

    // Our script ran: on a wide screen the menu button stays hidden, the navigation shows.
    let html_class = driver
        .find(By::Tag("html"))
        .await
        .unwrap()
        .attr("class")
        .await
        .unwrap();
    assert_eq!(html_class.as_deref(), Some("js"));
    assert!(
        driver
            .find(By::Id("site-nav"))
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
    let menu = driver.find(By::Css(".nav-toggle")).await.unwrap();
    let nav = driver.find(By::Id("site-nav")).await.unwrap();
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
    let heading = driver.find(By::Tag("h1")).await.unwrap();
    assert_eq!(heading.text().await.unwrap(), "Page not found");
    driver
        .find(By::LinkText("Go to the home page"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(driver.current_url().await.unwrap().path(), "/");

    browser.quit().await;
}
