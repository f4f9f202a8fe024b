//! Prometheus metrics: one process-wide recorder, HTTP request metrics and job counts.

use std::sync::OnceLock;
use std::time::Duration;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

/// Name of the HTTP request counter.
pub const HTTP_REQUESTS: &str = "cdb_http_requests_total";
/// Name of the HTTP latency histogram.
pub const HTTP_DURATION: &str = "cdb_http_request_duration_seconds";
/// Name of the gauge of background jobs per queue and state.
pub const JOBS: &str = "cdb_jobs";

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the recorder on first use and returns its handle (None if another recorder was
/// installed by the embedding program).
pub fn handle() -> Option<&'static PrometheusHandle> {
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Full(HTTP_DURATION.to_owned()),
                    &[
                        0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
                    ],
                )
                .ok()?;
            let recorder = builder.build_recorder();
            let handle = recorder.handle();
            metrics::set_global_recorder(recorder).ok()?;
            metrics::describe_counter!(
                HTTP_REQUESTS,
                "HTTP requests served, by method, route pattern and status."
            );
            metrics::describe_histogram!(
                HTTP_DURATION,
                metrics::Unit::Seconds,
                "HTTP request latency, by method, route pattern and status."
            );
            metrics::describe_gauge!(
                JOBS,
                "Background jobs by queue and state, read from the job storage at scrape time."
            );
            metrics::describe_counter!(
                WEBHOOK_DELIVERIES,
                "Webhook delivery attempts, by outcome (delivered or failed)."
            );
            Some(handle)
        })
        .as_ref()
}

/// Records one served request.
pub fn record_request(method: &str, route: &str, status: u16, elapsed: Duration) {
    let labels = [
        ("method", method.to_owned()),
        ("route", route.to_owned()),
        ("status", status.to_string()),
    ];
    metrics::counter!(HTTP_REQUESTS, &labels).increment(1);
    metrics::histogram!(HTTP_DURATION, &labels).record(elapsed.as_secs_f64());
}

/// Sets the job gauge of one queue and state.
pub fn set_job_count(queue: &str, state: &str, count: i64) {
    metrics::gauge!(JOBS, "queue" => queue.to_owned(), "state" => state.to_owned())
        .set(count as f64);
}

/// Name of the counter of finished connector runs.
pub const CONNECTOR_RUNS: &str = "cdb_connector_runs_total";
/// Name of the gauge of connector instances without a recent successful run.
pub const CONNECTOR_STALE: &str = "cdb_connector_stale";

/// Counts a finished connector run by kind and outcome.
pub fn connector_run_finished(kind: &str, succeeded: bool) {
    let outcome = if succeeded { "succeeded" } else { "failed" };
    metrics::counter!(CONNECTOR_RUNS, "kind" => kind.to_owned(), "outcome" => outcome).increment(1);
}

/// Sets whether one connector instance is stale (1) or not (0).
pub fn set_connector_stale(instance: &str, kind: &str, stale: bool) {
    metrics::gauge!(CONNECTOR_STALE, "instance" => instance.to_owned(), "kind" => kind.to_owned())
        .set(if stale { 1.0 } else { 0.0 });
}

/// Renders every metric in the Prometheus text format.
pub fn render() -> String {
    handle().map(PrometheusHandle::render).unwrap_or_default()
}

/// Name of the counter of webhook delivery attempts, by outcome.
pub const WEBHOOK_DELIVERIES: &str = "cdb_webhook_deliveries_total";

/// Counts one webhook delivery attempt: delivered (2xx) or failed.
pub fn webhook_delivery(delivered: bool) {
    let outcome = if delivered { "delivered" } else { "failed" };
    metrics::counter!(WEBHOOK_DELIVERIES, "outcome" => outcome).increment(1);
}
