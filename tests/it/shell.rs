//! The web shell: health and readiness, error pages, security headers, assets, metrics,
//! graceful shutdown.

use crate::helpers::on_both_databases;

fn assert_security_headers(response: &reqwest::Response) {
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("script-src 'self'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    assert_eq!(
        headers["referrer-policy"],
        "strict-origin-when-cross-origin"
    );
    assert!(headers.contains_key("x-request-id"));
}

on_both_databases! {
    async fn health_and_readiness(app) {
        let health = app.get("/healthz").await;
        assert_eq!(health.status(), 200);
        assert_eq!(health.text().await.unwrap(), "ok");

        let ready = app.get("/readyz").await;
        assert_eq!(ready.status(), 200);
        let body: serde_json::Value = ready.json().await.unwrap();
        assert_eq!(body["status"], "ready");
        assert_eq!(body["migrations_pending"], 0);
    }

    async fn unknown_page_is_a_friendly_404(app) {
        let response = app.get("/no/such/page").await;
        assert_eq!(response.status(), 404);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
        assert_security_headers(&response);
        let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
        let html = response.text().await.unwrap();
        assert!(html.contains("<h1>Page not found</h1>"), "{html}");
        assert!(html.contains(&request_id), "the page quotes the request id for support");
        assert!(html.contains("href=\"/\""), "a way back home");
    }

    async fn home_page_shows_the_program_with_security_headers(app) {
        let response = app.get("/").await;
        assert_eq!(response.status(), 200);
        assert_security_headers(&response);
        let html = response.text().await.unwrap();
        // A new production database gets a neutral name until an admin sets one.
        assert!(html.contains("<h1>Welcome to Partner portal</h1>"), "{html}");
        assert!(html.contains("<main"), "main landmark");
        assert!(html.contains("<nav"), "navigation landmark");
        assert!(!html.contains("Demo portal"), "no demo banner on a real database");
        assert!(!html.contains("<script>"), "no inline script");
        assert!(!html.contains("style="), "no inline style");
    }

    async fn assets_are_served_under_hashed_names_and_cached(app) {
        let html = app.get("/").await.text().await.unwrap();
        let css = html
            .split('"')
            .find(|part| part.starts_with("/assets/portico.") && part.ends_with(".css"))
            .expect("stylesheet link")
            .to_owned();
        let response = app.get(&css).await;
        assert_eq!(response.status(), 200);
        assert_eq!(response.headers()["content-type"], "text/css; charset=utf-8");
        assert!(response.headers()["cache-control"].to_str().unwrap().contains("immutable"));
        assert!(response.text().await.unwrap().contains("--accent"));

        assert_eq!(app.get("/assets/portico.css").await.status(), 404, "stale names do not exist");
    }

    async fn responses_are_compressed_when_asked(app) {
        let response = app
            .client
            .get(app.url("/"))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["content-encoding"], "gzip");
    }

    async fn request_ids_are_kept_when_given(app) {
        let response = app
            .client
            .get(app.url("/healthz"))
            .header("x-request-id", "lb-1234")
            .send()
            .await
            .unwrap();
        assert_eq!(response.headers()["x-request-id"], "lb-1234");
    }

    async fn metrics_count_requests_by_route(app) {
        let first = app.get("/healthz").await;
        let timing = first.headers()["server-timing"].to_str().unwrap();
        let millis: f64 = timing.strip_prefix("app;dur=").expect(timing).parse().unwrap();
        assert!((0.0..1000.0).contains(&millis), "server time in ms: {timing}");
        app.get("/healthz").await;
        app.get("/orders/ORD-1/secret").await;
        let response = app.get("/metrics").await;
        assert_eq!(response.status(), 200);
        assert!(response.headers()["content-type"].to_str().unwrap().starts_with("text/plain"));
        let text = response.text().await.unwrap();
        assert!(text.contains(
            "portico_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ), "{text}");
        assert!(text.contains(
            "portico_http_requests_total{method=\"GET\",route=\"unmatched\",status=\"404\"} 1"
        ), "{text}");
        assert!(!text.contains("ORD-1"), "raw paths never become labels");
        assert!(text.contains("portico_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"+Inf\"} 2"));
    }

    async fn a_request_in_flight_finishes_after_shutdown_begins(app) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let mut app = app;
        let mut stream = tokio::net::TcpStream::connect(app.address).await.unwrap();
        let body = "email=someone%40example.com&password=whatever";
        let head = format!(
            "POST /login HTTP/1.1\r\nHost: portico\r\nContent-Type: application/x-www-form-urlencoded\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        // Headers and part of the body: the request is in flight when the signal comes.
        stream.write_all(head.as_bytes()).await.unwrap();
        stream.write_all(&body.as_bytes()[..10]).await.unwrap();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        app.begin_shutdown();
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        stream.write_all(&body.as_bytes()[10..]).await.unwrap();
        let mut response = String::new();
        stream.read_to_string(&mut response).await.unwrap();
        // It was answered in full (400: a bare socket sends no CSRF token), not cut off.
        assert!(response.starts_with("HTTP/1.1 400"), "{response}");
        assert!(response.contains("This form could not be sent"));
        app.shut_down().await.expect("server stops without error");
    }

    async fn shutdown_finishes_cleanly(app) {
        assert_eq!(app.get("/healthz").await.status(), 200);
        let address = app.address;
        app.shut_down().await.expect("server stops without error");
        assert!(
            tokio::net::TcpStream::connect(address).await.is_err(),
            "the port is closed after shutdown"
        );
    }
}
