//! `portico-bench`: the load benchmark. It signs in as many users of different partners and
//! roles on a running Portico, finds real objects through their pages (orders, statements),
//! makes API tokens as partner admins, then replays real page and API requests at a fixed
//! concurrency: each request type alone, `/healthz` as the server's own ceiling, and a mix of
//! all. It prints requests/s, latency percentiles as its clients measured them, the server's own
//! time (its `Server-Timing` header) and errors per request type, and the server's memory.
//!
//! Built for the large program (`portico demo --scale large`), whose generated partners sign in
//! as `admin@p0001.example` etc.; against the small demo it uses the demo's people only.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Parser;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE, COOKIE, HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Client, StatusCode};

#[derive(Parser)]
#[command(about = "Load benchmark for a running Portico server")]
struct Args {
    /// The server's address.
    #[arg(long, default_value = "http://127.0.0.1:8080")]
    url: String,
    /// Clients sending requests at the same time.
    #[arg(long, default_value_t = 32)]
    concurrency: usize,
    /// Seconds each request type runs alone (and `/healthz`).
    #[arg(long, default_value_t = 10)]
    seconds: u64,
    /// Seconds the mix of all request types runs.
    #[arg(long, default_value_t = 30)]
    mix_seconds: u64,
    /// Generated partners (of the large program) to sign in as, four people each; 0 for the
    /// small demo's people only.
    #[arg(long, default_value_t = 24)]
    partners: usize,
    /// The people's password (the demo's unless changed).
    #[arg(
        long,
        env = "PORTICO_BENCH_PASSWORD",
        default_value = "northwind harbour lights"
    )]
    password: String,
    /// The server's process id, to sample its memory (default: the one process named `portico`).
    #[arg(long)]
    server_pid: Option<u32>,
}

/// Generated partners in the large program (see `portico::scale`).
const GENERATED_PARTNERS: usize = 1_984;

/// What one signed-in person does in the benchmark.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Duty {
    /// Partner admin: dashboard, and makes the API token.
    PartnerAdmin,
    /// Sales: orders and support requests.
    Sales,
    /// Partner finance: commission statements.
    PartnerFinance,
    /// Partner marketing: the asset library.
    Marketing,
    /// Vendor operations: every partner's orders.
    Operations,
    /// Vendor support: every partner's tickets.
    Support,
    /// Vendor finance: every partner's statements.
    VendorFinance,
}

/// The demo's own people, present in every program.
const DEMO_PEOPLE: [(&str, Duty); 12] = [
    ("olivia.grant@northwind.example", Duty::Operations),
    ("sam.okafor@northwind.example", Duty::Support),
    ("tom.becker@northwind.example", Duty::VendorFinance),
    ("maya.lindqvist@northwind.example", Duty::Marketing),
    ("jana.weber@brightline.example", Duty::PartnerAdmin),
    ("lukas.brandt@brightline.example", Duty::Sales),
    ("eva.hoffmann@brightline.example", Duty::PartnerFinance),
    ("mia.schulz@brightline.example", Duty::Marketing),
    ("anna.kessler@kessler-it.example", Duty::PartnerAdmin),
    ("ben.vogel@kessler-it.example", Duty::Sales),
    ("sofia.roth@kessler-it.example", Duty::Marketing),
    ("chloe.evans@atlas-channel.example", Duty::Sales),
];

/// The request types measured, in the order they are reported.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Kind {
    Healthz,
    Dashboard,
    OrderList,
    Order,
    Statement,
    Library,
    TicketList,
    ApiOrders,
}

impl Kind {
    const MEASURED: [Kind; 7] = [
        Kind::Dashboard,
        Kind::OrderList,
        Kind::Order,
        Kind::Statement,
        Kind::Library,
        Kind::TicketList,
        Kind::ApiOrders,
    ];

    fn label(self) -> &'static str {
        match self {
            Kind::Healthz => "`/healthz` (reference)",
            Kind::Dashboard => "dashboard `/`",
            Kind::OrderList => "order list `/orders`, with filters",
            Kind::Order => "order page `/orders/{id}`",
            Kind::Statement => "statement `/commissions/statements/{id}`",
            Kind::Library => "asset library `/library`",
            Kind::TicketList => "ticket list `/support`",
            Kind::ApiOrders => "API `GET /api/v1/orders`",
        }
    }

    /// Share of the mix, out of the sum of all weights.
    fn weight(self) -> usize {
        match self {
            Kind::Healthz => 0,
            Kind::Dashboard => 15,
            Kind::OrderList => 20,
            Kind::Order => 20,
            Kind::Statement => 10,
            Kind::Library => 10,
            Kind::TicketList => 10,
            Kind::ApiOrders => 15,
        }
    }
}

/// One request to replay: what it measures, where it goes, who sends it.
#[derive(Clone)]
struct Job {
    kind: Kind,
    path: String,
    credential: Credential,
}

#[derive(Clone)]
enum Credential {
    None,
    Cookies(String),
    Bearer(String),
}

/// A signed-in person.
struct Person {
    email: String,
    duty: Duty,
    cookies: String,
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    if args.concurrency == 0 || args.seconds == 0 {
        bail!("--concurrency and --seconds must be above zero");
    }
    let base = args.url.trim_end_matches('/').to_owned();
    // reqwest brings no TLS crypto of its own here (https servers too): ring, as Portico uses.
    let _ = rustls::crypto::ring::default_provider().install_default();
    let client = Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(args.concurrency)
        .timeout(Duration::from_secs(60))
        .build()?;
    let health = client
        .get(format!("{base}/healthz"))
        .send()
        .await
        .with_context(|| format!("no Portico answers at {base} (start it, or pass --url)"))?;
    if !health.status().is_success() {
        bail!("{base}/healthz answered {}", health.status());
    }
    let memory = Memory::watch(args.server_pid.or_else(find_server_pid));

    let started = Instant::now();
    let people = sign_in_everyone(&client, &base, &args).await?;
    let jobs = find_work(&client, &base, &people).await?;
    println!(
        "Signed in {} people in {:.1} s; {} requests to replay.",
        people.len(),
        started.elapsed().as_secs_f64(),
        jobs.len()
    );
    let idle_before = memory.as_ref().and_then(Memory::now);

    let healthz = vec![Job {
        kind: Kind::Healthz,
        path: "/healthz".into(),
        credential: Credential::None,
    }];
    let phase_length = Duration::from_secs(args.seconds);
    let ceiling = run(&client, &base, &healthz, args.concurrency, phase_length).await;
    let ceiling_rate = ceiling.get(&Kind::Healthz).map_or(0.0, Tally::rate);

    let mut alone = BTreeMap::new();
    for kind in Kind::MEASURED {
        let of_kind: Vec<Job> = jobs.iter().filter(|j| j.kind == kind).cloned().collect();
        if of_kind.is_empty() {
            println!(
                "No {} to replay: nobody signed in may see one.",
                kind.label()
            );
            continue;
        }
        let tallies = run(&client, &base, &of_kind, args.concurrency, phase_length).await;
        alone.extend(tallies);
    }
    let mix = weighted(&jobs);
    let mixed = run(
        &client,
        &base,
        &mix,
        args.concurrency,
        Duration::from_secs(args.mix_seconds),
    )
    .await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let idle_after = memory.as_ref().and_then(Memory::now);

    println!();
    println!(
        "Each request type alone, {} clients, {} s each:",
        args.concurrency, args.seconds
    );
    print_table(&ceiling, &alone, ceiling_rate);
    println!();
    println!(
        "The mix, {} clients, {} s (the mix's total throughput against `/healthz`):",
        args.concurrency, args.mix_seconds
    );
    print_table(&BTreeMap::new(), &mixed, 0.0);
    let mix_rate: f64 = mixed.values().map(Tally::rate).sum();
    println!(
        "\nMix total: {mix_rate:.0} requests/s, {:.0}% of `/healthz`.",
        percent(mix_rate, ceiling_rate)
    );
    match memory {
        Some(memory) => println!(
            "Server memory (RSS): {} before the run, peak {} during it, {} at idle after it.",
            megabytes(idle_before),
            megabytes(Some(memory.peak())),
            megabytes(idle_after)
        ),
        None => println!("Server memory: not sampled (pass --server-pid)."),
    }
    Ok(())
}

/// Signs everyone in, two at a time (each sign-in costs an Argon2 hash on the server).
async fn sign_in_everyone(client: &Client, base: &str, args: &Args) -> anyhow::Result<Vec<Person>> {
    let mut wanted: Vec<(String, Duty)> = DEMO_PEOPLE
        .iter()
        .map(|(email, duty)| ((*email).to_owned(), *duty))
        .collect();
    let partners = args.partners.min(GENERATED_PARTNERS);
    for n in 0..partners {
        // Spread over the program: distributors (every tenth) and their resellers alike.
        let partner = n * GENERATED_PARTNERS / partners.max(1);
        for (user, duty) in [
            ("admin", Duty::PartnerAdmin),
            ("user1", Duty::Sales),
            ("user5", Duty::PartnerFinance),
            ("user7", Duty::Marketing),
        ] {
            wanted.push((format!("{user}@p{partner:04}.example"), duty));
        }
    }
    let gate = Arc::new(tokio::sync::Semaphore::new(2));
    let mut attempts = tokio::task::JoinSet::new();
    for (email, duty) in wanted {
        let (client, base, password, gate) = (
            client.clone(),
            base.to_owned(),
            args.password.clone(),
            gate.clone(),
        );
        attempts.spawn(async move {
            let _turn = gate.acquire_owned().await?;
            let cookies = sign_in(&client, &base, &email, &password).await?;
            anyhow::Ok((email, duty, cookies))
        });
    }
    let mut people = Vec::new();
    let mut missing = Vec::new();
    while let Some(attempt) = attempts.join_next().await {
        match attempt?? {
            (email, duty, Some(cookies)) => people.push(Person {
                email,
                duty,
                cookies,
            }),
            (email, _, None) => missing.push(email),
        }
    }
    // Sign-ins finish in any order; the replay should not depend on it.
    people.sort_by(|a, b| a.email.cmp(&b.email));
    missing.sort();
    if !missing.is_empty() {
        println!(
            "Could not sign in as {} of {} people (first: {}); is this the large program \
             (`portico demo --scale large`)?",
            missing.len(),
            missing.len() + people.len(),
            missing[0]
        );
    }
    if people.is_empty() {
        bail!("nobody could sign in: check --password");
    }
    Ok(people)
}

/// The cookies of a session after signing in, or None when the server refuses the sign-in.
async fn sign_in(
    client: &Client,
    base: &str,
    email: &str,
    password: &str,
) -> anyhow::Result<Option<String>> {
    let form = client.get(format!("{base}/login")).send().await?;
    let mut jar = Jar::default();
    jar.take(form.headers());
    let csrf = jar
        .get("portico_csrf")
        .context("the sign-in page set no CSRF cookie")?
        .to_owned();
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("email", email)
        .append_pair("password", password)
        .append_pair("csrf_token", &csrf)
        .finish();
    let answer = client
        .post(format!("{base}/login"))
        .header(COOKIE, jar.header())
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?;
    if answer.status() != StatusCode::SEE_OTHER || answer.headers().get(LOCATION).is_none() {
        return Ok(None);
    }
    jar.take(answer.headers());
    Ok(jar.get("portico_session").map(|_| jar.header()))
}

/// The requests to replay, with real objects found through the pages everyone sees.
async fn find_work(client: &Client, base: &str, people: &[Person]) -> anyhow::Result<Vec<Job>> {
    let mut jobs = Vec::new();
    for person in people {
        let cookies = Credential::Cookies(person.cookies.clone());
        let page = |kind: Kind, path: String| Job {
            kind,
            path,
            credential: cookies.clone(),
        };
        jobs.push(page(Kind::Dashboard, "/".into()));
        match person.duty {
            Duty::Sales | Duty::Operations => {
                let list = fetch(client, base, "/orders", &cookies).await?;
                for filter in ["", "?status=open", "?sort=total_desc", "?from=2026-06-01"] {
                    jobs.push(page(Kind::OrderList, format!("/orders{filter}")));
                }
                for id in links(&list, "/orders/").into_iter().take(10) {
                    jobs.push(page(Kind::Order, format!("/orders/{id}")));
                }
                if person.duty == Duty::Sales {
                    jobs.push(page(Kind::TicketList, "/support".into()));
                }
            }
            Duty::Support => jobs.push(page(Kind::TicketList, "/support".into())),
            Duty::PartnerFinance | Duty::VendorFinance => {
                let list = fetch(client, base, "/commissions", &cookies).await?;
                for id in links(&list, "/commissions/statements/")
                    .into_iter()
                    .take(10)
                {
                    jobs.push(page(
                        Kind::Statement,
                        format!("/commissions/statements/{id}"),
                    ));
                }
            }
            Duty::Marketing => {
                for filter in ["", "?type=deck", "?q=security"] {
                    jobs.push(page(Kind::Library, format!("/library{filter}")));
                }
            }
            Duty::PartnerAdmin => {
                let token = make_token(client, base, person).await?;
                for filter in ["?limit=50", "?status=shipped&limit=50"] {
                    jobs.push(Job {
                        kind: Kind::ApiOrders,
                        path: format!("/api/v1/orders{filter}"),
                        credential: Credential::Bearer(token.clone()),
                    });
                }
            }
        }
    }
    Ok(jobs)
}

/// A page's HTML, which must answer 200.
async fn fetch(
    client: &Client,
    base: &str,
    path: &str,
    credential: &Credential,
) -> anyhow::Result<String> {
    let answer = authorised(client.get(format!("{base}{path}")), credential)
        .send()
        .await?;
    if !answer.status().is_success() {
        bail!("{path} answered {}", answer.status());
    }
    Ok(answer.text().await?)
}

/// The distinct ids linked as `prefix{id}` in a page, in page order.
fn links(html: &str, prefix: &str) -> Vec<String> {
    let needle = format!("href=\"{prefix}");
    let mut ids: Vec<String> = Vec::new();
    for (at, _) in html.match_indices(&needle) {
        let rest = &html[at + needle.len()..];
        let id: String = rest
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        let whole = rest[id.len()..].starts_with('"');
        if whole && id.len() >= 8 && !ids.contains(&id) {
            ids.push(id);
        }
    }
    ids
}

/// An API token that reads orders, made through the page as a partner admin would. It expires
/// tomorrow, so benchmark runs leave no lasting credentials behind.
async fn make_token(client: &Client, base: &str, admin: &Person) -> anyhow::Result<String> {
    let csrf = Jar::parse(&admin.cookies)
        .get("portico_csrf")
        .context("no CSRF cookie in the session")?
        .to_owned();
    let tomorrow = time::OffsetDateTime::now_utc()
        .date()
        .next_day()
        .context("date")?;
    let body = form_urlencoded::Serializer::new(String::new())
        .append_pair("name", &format!("portico-bench {}", uuid::Uuid::now_v7()))
        .append_pair("permission", "orders.read")
        .append_pair("expires_on", &tomorrow.to_string())
        .append_pair("csrf_token", &csrf)
        .finish();
    let answer = client
        .post(format!("{base}/api-tokens"))
        .header(COOKIE, &admin.cookies)
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await?;
    let status = answer.status();
    let html = answer.text().await?;
    let Some(at) = html.find("ptk_") else {
        bail!("{} could not make an API token ({status})", admin.email);
    };
    Ok(html[at..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect())
}

fn authorised(
    request: reqwest::RequestBuilder,
    credential: &Credential,
) -> reqwest::RequestBuilder {
    match credential {
        Credential::None => request,
        Credential::Cookies(cookies) => request.header(COOKIE, cookies),
        Credential::Bearer(token) => request.header(AUTHORIZATION, format!("Bearer {token}")),
    }
}

/// The jobs repeated by their kind's weight, interleaved so that every stretch of the list is
/// a fair sample of the mix.
fn weighted(jobs: &[Job]) -> Vec<Job> {
    let mut by_kind: BTreeMap<Kind, Vec<&Job>> = BTreeMap::new();
    for job in jobs {
        by_kind.entry(job.kind).or_default().push(job);
    }
    let mut next = BTreeMap::<Kind, usize>::new();
    let mut mix = Vec::new();
    for _round in 0..100 {
        for (kind, of_kind) in &by_kind {
            for _ in 0..kind.weight() {
                let at = next.entry(*kind).or_default();
                mix.push(of_kind[*at % of_kind.len()].clone());
                *at += 1;
            }
        }
    }
    mix
}

/// What one request type did in one phase.
#[derive(Default)]
struct Tally {
    /// Client-measured time to the whole answer, in microseconds.
    latencies: Vec<u32>,
    /// The server's own time (`Server-Timing`), in microseconds.
    server: Vec<u32>,
    errors: BTreeMap<String, usize>,
    elapsed: Duration,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.latencies.extend(other.latencies);
        self.server.extend(other.server);
        for (error, count) in other.errors {
            *self.errors.entry(error).or_default() += count;
        }
        self.elapsed = self.elapsed.max(other.elapsed);
    }

    fn requests(&self) -> usize {
        self.latencies.len()
    }

    fn rate(&self) -> f64 {
        self.requests() as f64 / self.elapsed.as_secs_f64().max(f64::EPSILON)
    }
}

/// Replays `jobs` round-robin from `concurrency` clients for `length`.
async fn run(
    client: &Client,
    base: &str,
    jobs: &[Job],
    concurrency: usize,
    length: Duration,
) -> BTreeMap<Kind, Tally> {
    let jobs = Arc::new(jobs.to_vec());
    let next = Arc::new(AtomicUsize::new(0));
    let started = Instant::now();
    let deadline = started + length;
    let workers: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, base, jobs, next) =
                (client.clone(), base.to_owned(), jobs.clone(), next.clone());
            tokio::spawn(async move {
                let mut tallies: BTreeMap<Kind, Tally> = BTreeMap::new();
                while Instant::now() < deadline {
                    let job = &jobs[next.fetch_add(1, Ordering::Relaxed) % jobs.len()];
                    let tally = tallies.entry(job.kind).or_default();
                    send(&client, &base, job, tally).await;
                }
                tallies
            })
        })
        .collect();
    let mut total: BTreeMap<Kind, Tally> = BTreeMap::new();
    for worker in workers {
        for (kind, tally) in worker.await.expect("worker") {
            total.entry(kind).or_default().merge(tally);
        }
    }
    let elapsed = started.elapsed();
    for tally in total.values_mut() {
        tally.elapsed = elapsed;
        tally.latencies.sort_unstable();
        tally.server.sort_unstable();
    }
    total
}

async fn send(client: &Client, base: &str, job: &Job, tally: &mut Tally) {
    let started = Instant::now();
    let answer = authorised(client.get(format!("{base}{}", job.path)), &job.credential)
        .send()
        .await;
    let answer = match answer {
        Ok(answer) => answer,
        Err(error) => {
            *tally
                .errors
                .entry(format!("transport: {error}"))
                .or_default() += 1;
            return;
        }
    };
    let status = answer.status();
    let server = server_time(answer.headers());
    let body = answer.bytes().await;
    let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
    tally.latencies.push(micros);
    if let Some(server) = server {
        tally.server.push(server);
    }
    if body.is_err() {
        *tally.errors.entry("body cut off".into()).or_default() += 1;
    } else if !status.is_success() {
        *tally.errors.entry(status.to_string()).or_default() += 1;
    }
}

/// `Server-Timing: app;dur=1.25` in microseconds.
fn server_time(headers: &HeaderMap) -> Option<u32> {
    let value = headers.get("server-timing")?.to_str().ok()?;
    let millis: f64 = value.strip_prefix("app;dur=")?.parse().ok()?;
    Some((millis * 1000.0) as u32)
}

fn percentile(sorted: &[u32], fraction: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 * fraction).ceil() as usize).clamp(1, sorted.len()) - 1;
    f64::from(sorted[index]) / 1000.0
}

fn percent(part: f64, whole: f64) -> f64 {
    if whole > 0.0 {
        100.0 * part / whole
    } else {
        0.0
    }
}

fn print_table(reference: &BTreeMap<Kind, Tally>, rows: &BTreeMap<Kind, Tally>, ceiling: f64) {
    println!(
        "| request | requests | req/s | of /healthz | p50 ms | p95 ms | p99 ms | server p95 ms | errors |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---|");
    for (kind, tally) in reference.iter().chain(rows) {
        let errors = if tally.errors.is_empty() {
            "0".to_owned()
        } else {
            tally
                .errors
                .iter()
                .map(|(what, count)| format!("{count}× {what}"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let share = if ceiling > 0.0 {
            format!("{:.0}%", percent(tally.rate(), ceiling))
        } else {
            "–".into()
        };
        println!(
            "| {} | {} | {:.0} | {share} | {:.1} | {:.1} | {:.1} | {:.1} | {errors} |",
            kind.label(),
            tally.requests(),
            tally.rate(),
            percentile(&tally.latencies, 0.50),
            percentile(&tally.latencies, 0.95),
            percentile(&tally.latencies, 0.99),
            percentile(&tally.server, 0.95),
        );
    }
}

/// Cookies kept by hand: the benchmark needs only two, and one header per session.
#[derive(Default)]
struct Jar(Vec<(String, String)>);

impl Jar {
    fn take(&mut self, headers: &HeaderMap) {
        for value in headers.get_all(SET_COOKIE) {
            let Some((name, value)) = value
                .to_str()
                .ok()
                .and_then(|v| v.split(';').next())
                .and_then(|pair| pair.split_once('='))
            else {
                continue;
            };
            self.0.retain(|(kept, _)| kept != name);
            self.0
                .push((name.trim().to_owned(), value.trim().to_owned()));
        }
    }

    fn parse(header: &str) -> Jar {
        Jar(header
            .split("; ")
            .filter_map(|pair| pair.split_once('='))
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
            .collect())
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(kept, _)| kept == name)
            .map(|(_, value)| value.as_str())
    }

    fn header(&self) -> String {
        self.0
            .iter()
            .map(|(name, value)| format!("{name}={value}"))
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// The server's resident memory, sampled every 100 ms from `/proc` while the benchmark runs.
struct Memory {
    pid: u32,
    peak_kb: Arc<AtomicUsize>,
}

impl Memory {
    fn watch(pid: Option<u32>) -> Option<Memory> {
        let pid = pid?;
        let peak_kb = Arc::new(AtomicUsize::new(0));
        let memory = Memory {
            pid,
            peak_kb: peak_kb.clone(),
        };
        memory.now()?;
        tokio::spawn(async move {
            loop {
                if let Some(kb) = rss_kb(pid) {
                    peak_kb.fetch_max(kb, Ordering::Relaxed);
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        Some(memory)
    }

    fn now(&self) -> Option<usize> {
        rss_kb(self.pid)
    }

    fn peak(&self) -> usize {
        self.peak_kb.load(Ordering::Relaxed)
    }
}

fn rss_kb(pid: u32) -> Option<usize> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn megabytes(kb: Option<usize>) -> String {
    kb.map_or("?".into(), |kb| format!("{:.0} MB", kb as f64 / 1024.0))
}

/// The one running process named `portico`, if there is exactly one.
fn find_server_pid() -> Option<u32> {
    let found: Vec<u32> = std::fs::read_dir("/proc")
        .ok()?
        .filter_map(|entry| entry.ok()?.file_name().to_str()?.parse().ok())
        .filter(|pid: &u32| {
            std::fs::read_to_string(format!("/proc/{pid}/comm"))
                .is_ok_and(|name| name.trim() == "portico")
        })
        .collect();
    match found.as_slice() {
        [pid] => Some(*pid),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_whole_ids_in_page_order() {
        let html = r#"<a href="/orders/0193f-aa11-bb22">1</a> <a href="/orders/export/csv">x</a>
            <a href="/orders/0193f-aa11-bb22">again</a><a href="/orders/0193f-cc33-dd44">2</a>
            <a href="/orders/short">s</a>"#;
        assert_eq!(
            links(html, "/orders/"),
            ["0193f-aa11-bb22", "0193f-cc33-dd44"]
        );
    }

    #[test]
    fn percentiles_are_nearest_rank() {
        let sorted: Vec<u32> = (1..=100).map(|ms| ms * 1000).collect();
        assert_eq!(percentile(&sorted, 0.50), 50.0);
        assert_eq!(percentile(&sorted, 0.95), 95.0);
        assert_eq!(percentile(&sorted, 0.99), 99.0);
        assert_eq!(percentile(&[], 0.95), 0.0);
    }

    #[test]
    fn the_mix_follows_the_weights() {
        let job = |kind| Job {
            kind,
            path: String::new(),
            credential: Credential::None,
        };
        let mix = weighted(&[job(Kind::Dashboard), job(Kind::Order), job(Kind::Order)]);
        let count = |kind| mix.iter().filter(|j| j.kind == kind).count();
        assert_eq!(count(Kind::Dashboard) * 20, count(Kind::Order) * 15);
    }

    #[test]
    fn cookies_are_kept_by_name() {
        let mut headers = HeaderMap::new();
        headers.append(
            SET_COOKIE,
            "portico_csrf=abc; Path=/; HttpOnly".parse().unwrap(),
        );
        headers.append(SET_COOKIE, "portico_session=s1; Path=/".parse().unwrap());
        let mut jar = Jar::default();
        jar.take(&headers);
        let mut again = HeaderMap::new();
        again.append(SET_COOKIE, "portico_session=s2; Path=/".parse().unwrap());
        jar.take(&again);
        assert_eq!(jar.header(), "portico_csrf=abc; portico_session=s2");
        assert_eq!(Jar::parse(&jar.header()).get("portico_session"), Some("s2"));
    }
}
