//! Prometheus metrics at `/metrics`: request counts by route and status, and latency histograms
//! by route. Routes are the router's patterns (`/orders/{id}`), never raw paths, so the number of
//! series stays bounded whatever URLs clients send.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};

use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::AppState;

const SERVER_TIMING: HeaderName = HeaderName::from_static("server-timing");

/// Upper bounds of the latency buckets, in seconds.
const BUCKETS: [f64; 12] = [
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 10.0,
];

#[derive(Default)]
struct Latency {
    bucket_counts: [u64; BUCKETS.len()],
    count: u64,
    sum_seconds: f64,
}

#[derive(Default)]
struct Series {
    /// (method, route, status) → requests.
    requests: BTreeMap<(String, String, u16), u64>,
    /// (method, route) → latency histogram.
    latency: BTreeMap<(String, String), Latency>,
}

#[derive(Default)]
pub struct Metrics {
    series: Mutex<Series>,
}

impl Metrics {
    fn record(&self, method: &str, route: &str, status: u16, seconds: f64) {
        let mut series = self.series.lock().expect("metrics lock poisoned");
        *series
            .requests
            .entry((method.to_owned(), route.to_owned(), status))
            .or_default() += 1;
        let latency = series
            .latency
            .entry((method.to_owned(), route.to_owned()))
            .or_default();
        latency.count += 1;
        latency.sum_seconds += seconds;
        if let Some(index) = BUCKETS.iter().position(|bound| seconds <= *bound) {
            latency.bucket_counts[index] += 1;
        }
    }

    /// The Prometheus text exposition format (version 0.0.4).
    pub fn render(&self) -> String {
        let series = self.series.lock().expect("metrics lock poisoned");
        let mut out = String::new();
        out.push_str("# HELP portico_http_requests_total HTTP requests answered.\n");
        out.push_str("# TYPE portico_http_requests_total counter\n");
        for ((method, route, status), count) in &series.requests {
            let _ = writeln!(
                out,
                "portico_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {count}"
            );
        }
        out.push_str(
            "# HELP portico_http_request_duration_seconds Time to answer HTTP requests.\n",
        );
        out.push_str("# TYPE portico_http_request_duration_seconds histogram\n");
        for ((method, route), latency) in &series.latency {
            let labels = format!("method=\"{method}\",route=\"{route}\"");
            let mut cumulative = 0;
            for (bound, count) in BUCKETS.iter().zip(latency.bucket_counts) {
                cumulative += count;
                let _ = writeln!(
                    out,
                    "portico_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {cumulative}"
                );
            }
            let _ = writeln!(
                out,
                "portico_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}\n\
                 portico_http_request_duration_seconds_sum{{{labels}}} {}\n\
                 portico_http_request_duration_seconds_count{{{labels}}} {}",
                latency.count, latency.sum_seconds, latency.count
            );
        }
        out
    }
}

/// Middleware: times every request and counts it under its route pattern.
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = request.method().as_str().to_owned();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or("unmatched", MatchedPath::as_str)
        .to_owned();
    let mut response = next.run(request).await;
    let seconds = started.elapsed().as_secs_f64();
    state
        .metrics
        .record(&method, &route, response.status().as_u16(), seconds);
    // Time to the answer's head (a streamed body follows), for browsers' developer tools and
    // portico-bench, which reports it beside the time its clients measured.
    if let Ok(value) = HeaderValue::from_str(&format!("app;dur={:.2}", seconds * 1000.0)) {
        response.headers_mut().insert(SERVER_TIMING, value);
    }
    response
}

/// `GET /metrics`.
pub async fn export(State(state): State<AppState>) -> Response {
    (
        [(
            header::CONTENT_TYPE,
            "text/plain; version=0.0.4; charset=utf-8",
        )],
        state.metrics.render(),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let metrics = Metrics::default();
        metrics.record("GET", "/healthz", 200, 0.0004);
        metrics.record("GET", "/healthz", 200, 0.02);
        let text = metrics.render();
        assert!(text.contains(
            "portico_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 2"
        ));
        assert!(text.contains(
            "portico_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"0.001\"} 1"
        ));
        assert!(text.contains(
            "portico_http_request_duration_seconds_bucket{method=\"GET\",route=\"/healthz\",le=\"0.025\"} 2"
        ));
        assert!(text.contains(
            "portico_http_request_duration_seconds_count{method=\"GET\",route=\"/healthz\"} 2"
        ));
    }
}
