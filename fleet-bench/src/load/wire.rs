//! Phase 6: bytes on the wire. Warm fleetd (one snapshot) against nginx
//! `gzip_static` serving the very bytes fleetd serves, side by side in one
//! run: identity, gzip, br, and `If-None-Match` revalidations (304).

use super::{get, verdict, Bench, Fleetd, Reader, QUIET_DRIFT_SEC, WARM_TTL_MS};
use crate::machine;
use crate::nginx::StaticNginx;
use crate::wrk::{self, WrkReport, WrkSpec};
use crate::Result;
use std::time::Duration;

/// The default `cache.ttl_ms`: what compressing once per snapshot costs is
/// measured against it.
const DEFAULT_TTL: Duration = Duration::from_millis(5000);

/// One response as a client sees it: headers of interest and the body.
struct Fetched {
    encoding: Option<String>,
    etag: Option<String>,
    body: Vec<u8>,
}

async fn fetch(client: &reqwest::Client, url: &str, accept: &str) -> Result<Fetched> {
    let response = client
        .get(url)
        .header("accept-encoding", accept)
        .send()
        .await?;
    if !response.status().is_success() {
        return Err(format!("GET {url} ({accept}): {}", response.status()).into());
    }
    let header = |name: &str| {
        response
            .headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let (encoding, etag) = (header("content-encoding"), header("etag"));
    Ok(Fetched {
        encoding,
        etag,
        body: response.bytes().await?.to_vec(),
    })
}

/// One wrk run on its own (2 threads, 32 connections).
async fn run(b: &mut Bench<'_>, label: &str, url: &str, headers: &[String]) -> Result<WrkReport> {
    if !b.wait_quiet.is_zero() && !machine::wait_until_quiet(b.wait_quiet).await {
        b.out
            .line("  (the machine did not become quiet; measuring anyway)");
    }
    let report = wrk::run(
        &b.args.wrk,
        &WrkSpec {
            url,
            threads: 2,
            connections: 32,
            duration: b.duration,
            headers,
        },
    )
    .await?;
    b.errors.extend(report.tooling_errors());
    let bytes = report
        .bytes_per_response()
        .map_or_else(|| "?".to_owned(), |b| format!("{b:.0}"));
    b.out
        .line(format!("  {label:<40} {report}  [{bytes} B/response]"));
    Ok(report)
}

/// `fleetd_compression_seconds_total` summed over every body and coding.
fn compression_seconds(metrics: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("fleetd_compression_seconds_total{"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

fn compressions(metrics: &str) -> f64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("fleetd_compressions_total{") && !l.contains("body=\"metrics\""))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

pub(super) async fn phase(b: &mut Bench<'_>, reader: &Reader) -> Result<Vec<String>> {
    let client = reqwest::Client::new();
    b.out.line("");
    b.out.line(
        "## 6. bytes on the wire (warm, ttl 1 h; each run alone, 32 connections; nginx gzip_static on the same bytes)",
    );
    let mut fleetd = Fleetd::start(reader, WARM_TTL_MS, QUIET_DRIFT_SEC).await?;
    fleetd.wait_for_drift().await?;
    let api = fleetd.url("/api/fleet");
    let page_url = fleetd.url("/fleet");
    let json = fetch(&client, &api, "identity").await?;
    let json_gz = fetch(&client, &api, "gzip").await?;
    let json_br = fetch(&client, &api, "gzip, deflate, br, zstd").await?;
    let page = fetch(&client, &page_url, "identity").await?;
    let page_gz = fetch(&client, &page_url, "gzip").await?;
    let page_br = fetch(&client, &page_url, "gzip, deflate, br, zstd").await?;
    for (what, got, want) in [
        ("/api/fleet gzip", &json_gz, "gzip"),
        ("/api/fleet br", &json_br, "br"),
        ("/fleet gzip", &page_gz, "gzip"),
        ("/fleet br", &page_br, "br"),
    ] {
        if got.encoding.as_deref() != Some(want) {
            b.errors
                .push(format!("{what}: Content-Encoding {:?}", got.encoding));
        }
    }
    let metrics =
        String::from_utf8_lossy(&get(&client, &fleetd.url("/metrics")).await?).into_owned();
    let compress_secs = compression_seconds(&metrics);
    b.out.line(format!(
        "  /api/fleet {} B, gzip {} B ({:.0}×), br {} B ({:.0}×); /fleet {} B, gzip {} B ({:.0}×), br {} B ({:.0}×)",
        json.body.len(),
        json_gz.body.len(),
        json.body.len() as f64 / json_gz.body.len().max(1) as f64,
        json_br.body.len(),
        json.body.len() as f64 / json_br.body.len().max(1) as f64,
        page.body.len(),
        page_gz.body.len(),
        page.body.len() as f64 / page_gz.body.len().max(1) as f64,
        page_br.body.len(),
        page.body.len() as f64 / page_br.body.len().max(1) as f64,
    ));
    b.out.line(format!(
        "  compressing this snapshot (4 variants, once each): {:.1} ms of CPU = {:.2}% of the default 5 s cache period",
        compress_secs * 1000.0,
        compress_secs / DEFAULT_TTL.as_secs_f64() * 100.0
    ));

    let nginx = StaticNginx::start(&[
        ("fleet.json", &json.body, &json_gz.body),
        ("fleet.html", &page.body, &page_gz.body),
    ])
    .await?;
    let n_json = nginx.url("/fleet.json");
    let n_page = nginx.url("/fleet.html");
    let n_gz = fetch(&client, &n_json, "gzip").await?;
    if n_gz.encoding.as_deref() != Some("gzip") || n_gz.body != json_gz.body {
        b.errors
            .push("nginx gzip_static does not serve fleetd's gzip bytes".to_owned());
    }
    let h = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect::<Vec<String>>();
    let gzip = h(&["Accept-Encoding: gzip"]);
    let browser = h(&["Accept-Encoding: gzip, deflate, br, zstd"]);
    let fleetd_inm = vec![
        "Accept-Encoding: gzip".to_owned(),
        format!(
            "If-None-Match: {}",
            json_gz.etag.clone().unwrap_or_default()
        ),
    ];
    let nginx_inm = vec![
        "Accept-Encoding: gzip".to_owned(),
        format!("If-None-Match: {}", n_gz.etag.clone().unwrap_or_default()),
    ];
    let f_plain = run(b, "fleetd /api/fleet identity:", &api, &[]).await?;
    let n_plain = run(b, "nginx  same file identity:", &n_json, &[]).await?;
    let f_gzip = run(b, "fleetd /api/fleet gzip:", &api, &gzip).await?;
    let n_gzip = run(b, "nginx  gzip_static same bytes:", &n_json, &gzip).await?;
    let f_br = run(b, "fleetd /api/fleet br (browser header):", &api, &browser).await?;
    let f_304 = run(
        b,
        "fleetd /api/fleet If-None-Match → 304:",
        &api,
        &fleetd_inm,
    )
    .await?;
    let n_304 = run(b, "nginx  If-None-Match → 304:", &n_json, &nginx_inm).await?;
    let fp_gzip = run(b, "fleetd /fleet gzip:", &page_url, &gzip).await?;
    let np_gzip = run(b, "nginx  page gzip_static:", &n_page, &gzip).await?;
    let fp_br = run(b, "fleetd /fleet br (browser header):", &page_url, &browser).await?;
    drop(nginx);
    let after = String::from_utf8_lossy(&get(&client, &fleetd.url("/metrics")).await?).into_owned();
    let variants = compressions(&after);
    fleetd.stop().await?;

    let ratio = |f: &WrkReport, n: &WrkReport| f.requests_per_sec / n.requests_per_sec.max(1.0);
    let bytes = |r: &WrkReport| r.bytes_per_response().unwrap_or(f64::NAN);
    b.out.line(format!(
        "  ratios fleetd/nginx: identity {:.2}, gzip {:.2}, 304 {:.2}, page gzip {:.2}; br {:.0} req/s, page br {:.0} req/s",
        ratio(&f_plain, &n_plain),
        ratio(&f_gzip, &n_gzip),
        ratio(&f_304, &n_304),
        ratio(&fp_gzip, &np_gzip),
        f_br.requests_per_sec,
        fp_br.requests_per_sec
    ));
    b.out.line(format!(
        "  snapshot bodies compressed during all of it: {variants:.0} (4 expected: 2 bodies × 2 codings, once per snapshot)"
    ));
    let compressed_ok = ratio(&f_gzip, &n_gzip) >= 0.7;
    // The body is the comparison: fleetd's headers carry the security
    // headers (CSP, …) that a bare static file has none of; behind the
    // shipped nginx those are nginx's own either way.
    let bytes_ok = json_gz.body.len() <= n_gz.body.len();
    let not_modified_ok = f_304.requests_per_sec >= f_gzip.requests_per_sec;
    let cpu_ok = compress_secs < DEFAULT_TTL.as_secs_f64() * 0.05;
    Ok(vec![
        format!(
            "  compressed warm /api/fleet ≥ 70% of nginx gzip_static: {:.0} vs {:.0} req/s = {:.0}%  {}",
            f_gzip.requests_per_sec,
            n_gzip.requests_per_sec,
            ratio(&f_gzip, &n_gzip) * 100.0,
            verdict(compressed_ok)
        ),
        format!(
            "  gzip body per response ≤ nginx's: {} vs {} B (on the wire with headers: {:.0} vs {:.0} B; fleetd's include its security headers)  {}",
            json_gz.body.len(),
            n_gz.body.len(),
            bytes(&f_gzip),
            bytes(&n_gzip),
            verdict(bytes_ok)
        ),
        format!(
            "  304s at least as fast as compressed 200s: {:.0} vs {:.0} req/s (nginx 304: {:.0})  {}",
            f_304.requests_per_sec,
            f_gzip.requests_per_sec,
            n_304.requests_per_sec,
            verdict(not_modified_ok)
        ),
        format!(
            "  compression CPU per snapshot < 5% of the 5 s cache period: {:.1} ms  {}",
            compress_secs * 1000.0,
            verdict(cpu_ok)
        ),
        format!(
            "  each snapshot body compressed once per coding: {variants:.0} compressions  {}",
            verdict((variants - 4.0).abs() < 0.5)
        ),
    ])
}
