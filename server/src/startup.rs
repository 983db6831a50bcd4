//! Builds a running Infradesk from a checked configuration: database (migrated), audit of
//! the configuration load, demo data or production checks, the infra repository, and the
//! HTTP server. Tests build it on port 0 with a temporary database.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use app::state::AppState;
use backend::accounts;
use backend::audit::{self, Entry};
use backend::clock::SharedClock;
use backend::db::{Db, DbOptions};
use backend::outbox::Wake;
use backend::outbox::worker::{Worker, WorkerConfig};
use domain::audit::Actor;
use tokio::net::TcpListener;

use crate::config::{Config, Mode};
use crate::rate_limit::LoginLimiter;
use crate::{demo, web};

pub struct Application {
    listener: TcpListener,
    router: axum::Router,
    pub addr: SocketAddr,
    pub db: Db,
    background: Vec<tokio::task::JoinHandle<()>>,
    /// The outbox worker, stopped after the HTTP server drains.
    worker: (tokio::sync::watch::Sender<bool>, tokio::task::JoinHandle<()>),
}

pub async fn open_database(config: &Config) -> anyhow::Result<Db> {
    let options = DbOptions { max_connections: config.database.max_connections, ..DbOptions::default() };
    let db = Db::connect(&config.database.url, &options)
        .await
        .with_context(|| format!("database {}", crate::config::redact_url(&config.database.url)))?;
    Ok(db)
}

impl Application {
    pub async fn build(config: Config, clock: SharedClock) -> anyhow::Result<Self> {
        let db = open_database(&config).await?;
        db.migrate().await.context("migrating the database")?;
        backend::requests::queue_rows::run_maintenance(&db).await.context("rebuilding after migrating")?;
        tracing::info!(database = %crate::config::redact_url(&config.database.url), "database ready");

        audit::record(
            &db,
            clock.now_ms(),
            Entry { actor: &Actor::System, action: "config.loaded", subject: "config", details: config.summary() },
        )
        .await
        .context("recording the configuration load")?;

        match config.mode {
            Mode::Demo => {
                let created = demo::seed(&db, clock.now_ms()).await.context("seeding demo users")?;
                if created > 0 {
                    tracing::info!(created, "demo users seeded (password: {})", demo::DEMO_PASSWORD);
                }
            }
            Mode::Production => {
                let demo_users = demo::enabled_demo_users(&db).await.context("checking for demo users")?;
                if !demo_users.is_empty() {
                    bail!(
                        "refusing to start in production mode: demo users {} are enabled with the published demo password; \
                         disable them with `infradesk user disable <login>` or start from a fresh database",
                        demo_users.join(", ")
                    );
                }
                if accounts::user_count(&db).await? == 0 {
                    tracing::warn!(
                        "no users yet: create an admin with `infradesk user add <login> --name <name> --admin`"
                    );
                }
            }
        }

        let metrics = Arc::new(backend::metrics::Metrics::new());
        crate::vcs::check_recorded_host(&db, &config).await?;
        let vcs: Arc<dyn backend::vcs::Vcs> =
            Arc::new(backend::vcs::instrumented::Instrumented::new(crate::vcs::build(&config)?, metrics.clone()));
        let base_branch = config.github.as_ref().map_or(&config.infra_repo.base_branch, |g| &g.base_branch);
        let mut worker_config = WorkerConfig::new(base_branch, config.base_url.as_str());
        if let Some(github) = &config.github {
            worker_config.merge_method = github.merge_method;
            worker_config.merge_on_approval = github.merge_on_approval;
            worker_config.require_green_checks = github.require_green_checks;
        }
        for e in &config.environments {
            worker_config
                .environment_lines
                .insert(e.name.clone(), format!("{} (AWS account {}, {})", e.name, e.aws_account_id, e.region));
        }
        let worker = Arc::new(Worker::new(db.clone(), vcs, clock.clone(), worker_config));

        let catalog = Arc::new(backend::catalog::CatalogStore::load(
            config.catalog.dir.clone(),
            config.environments.iter().map(|e| e.name.clone()).collect(),
            clock.now_ms(),
        ));
        warn_about_routing_teams(&db, &config).await?;
        let settings = Arc::new(app::state::Settings {
            base_url: config.base_url.as_str().trim_end_matches('/').to_owned(),
            environments: config
                .environments
                .iter()
                .map(|e| domain::request::Environment {
                    name: e.name.clone(),
                    aws_account_id: e.aws_account_id.clone(),
                    region: e.region.clone(),
                    directory: e.directory.clone(),
                    protected: e.protected,
                })
                .collect(),
            path_template: config.catalog.path_template.clone(),
            routing: config.routing.clone(),
            plan_check: app::pages::request::PlanCheck::of(
                config.github.as_ref().map(|g| (g.merge_on_approval, g.require_green_checks)),
            ),
        });
        let verification = backend::audit::monitor::VerificationStatus::default();
        let state = AppState {
            db: db.clone(),
            clock: clock.clone(),
            demo_mode: config.mode == Mode::Demo,
            demo_accounts: if config.mode == Mode::Demo { demo::accounts() } else { Vec::new() },
            demo_password: demo::DEMO_PASSWORD.to_owned(),
            catalog: catalog.clone(),
            settings,
            outbox: worker.waker(),
            audit: verification.clone(),
        };
        let reload_on_hangup = spawn_reload_on_hangup(catalog, db.clone(), clock.clone());
        let limiter = Arc::new(LoginLimiter::new(&config.login_rate_limit, clock.clone()));
        let store = backend::sessions::DbSessionStore::new(db.clone(), clock.clone());
        let deliveries = Wake::default();
        let webhooks = config.github.as_ref().and_then(|g| {
            g.webhook_secret.clone().map(|secret| {
                Arc::new(web::webhooks::WebhookSettings {
                    secret,
                    repository: g.repository.clone(),
                    wake: deliveries.clone(),
                })
            })
        });
        let audit_metrics = metrics.clone();
        let extras = web::Extras { limiter: limiter.clone(), metrics, webhooks };
        let router = web::router(&config, state, store.clone(), extras);

        let listener =
            TcpListener::bind(config.listen).await.with_context(|| format!("cannot listen on {}", config.listen))?;
        let addr = listener.local_addr()?;

        let (prune_db, prune_clock) = (db.clone(), clock.clone());
        let mut background = vec![tokio::spawn(async move {
            let mut tick = tokio::time::interval(Duration::from_secs(300));
            loop {
                tick.tick().await;
                limiter.shrink();
                match store.delete_expired().await {
                    Ok(n) if n > 0 => tracing::debug!(deleted = n, "expired sessions removed"),
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not remove expired sessions"),
                }
                let keep = backend::webhooks::KEEP_PROCESSED_MS;
                match backend::webhooks::prune(&prune_db, prune_clock.now_ms(), keep).await {
                    Ok(n) if n > 0 => {
                        tracing::debug!(deleted = n, "processed webhook deliveries older than a week removed")
                    }
                    Ok(_) => {}
                    Err(e) => tracing::warn!(error = %e, "could not remove old webhook deliveries"),
                }
            }
        })];
        background.extend(reload_on_hangup);
        background.push(tokio::spawn(process_deliveries(db.clone(), clock.clone(), deliveries)));
        let every = Duration::from_secs(config.audit.verify_interval_minutes.saturating_mul(60));
        let verify = verify_audit_chain(db.clone(), clock.clone(), verification, audit_metrics, every);
        background.push(tokio::spawn(verify));
        let base = worker.config().base_branch.clone();
        background.push(tokio::spawn(reconcile_pull_requests(db.clone(), clock.clone(), worker.vcs().clone(), base)));
        let (stop_worker, stopped) = tokio::sync::watch::channel(false);
        let worker = (stop_worker, tokio::spawn(worker.run(stopped)));
        Ok(Self { listener, router, addr, db, background, worker })
    }

    /// Serves until `shutdown` resolves, then stops accepting and lets in-flight requests
    /// finish.
    pub async fn serve(self, shutdown: impl std::future::Future<Output = ()> + Send + 'static) -> anyhow::Result<()> {
        tracing::info!(addr = %self.addr, "Infradesk listening");
        let service = self.router.into_make_service_with_connect_info::<SocketAddr>();
        let result = axum::serve(self.listener, service).with_graceful_shutdown(shutdown).await;
        for task in self.background {
            task.abort();
        }
        // Let a job in flight finish; one cut off is taken again after its lease (safe).
        let (stop, handle) = self.worker;
        let _ = stop.send(true);
        if tokio::time::timeout(Duration::from_secs(10), handle).await.is_err() {
            tracing::warn!("outbox worker did not stop within 10 s; its job runs again after the lease");
        }
        self.db.close().await;
        tracing::info!("Infradesk stopped");
        result.context("HTTP server")
    }
}

/// Applies stored webhook deliveries when woken by the endpoint (and every few seconds, for
/// deliveries another replica stored or a failed pass left).
async fn process_deliveries(db: Db, clock: SharedClock, wake: Wake) {
    loop {
        if let Err(e) = backend::webhooks::process_pending(&db, clock.now_ms()).await {
            tracing::error!(error = %e, "webhook deliveries could not be processed; trying again shortly");
        }
        tokio::select! {
            () = wake.woken() => {}
            () = tokio::time::sleep(Duration::from_secs(5)) => {}
        }
    }
}

/// Re-reads open pull requests from the host at start and every ten minutes, so a missed
/// webhook is repaired; and the base branch's head, so opening a pull request needs no read
/// of it (see `backend::vcs::github::heads`).
async fn reconcile_pull_requests(db: Db, clock: SharedClock, vcs: Arc<dyn backend::vcs::Vcs>, base: String) {
    let mut tick = tokio::time::interval(Duration::from_secs(600));
    loop {
        tick.tick().await;
        if let Err(e) = vcs.refresh_branch_head(&base).await {
            tracing::warn!(error = %e, branch = %base, "could not read the base branch's head; the next pull request reads it");
        }
        match backend::webhooks::reconcile::reconcile(&db, vcs.as_ref(), clock.now_ms()).await {
            Ok(r) if !r.errors.is_empty() => {
                tracing::warn!(checked = r.checked, changed = r.changed, errors = ?r.errors, "reconciled pull requests with errors")
            }
            Ok(r) => tracing::debug!(checked = r.checked, changed = r.changed, "reconciled pull requests"),
            Err(e) => tracing::error!(error = %e, "reconciling pull requests failed"),
        }
    }
}

/// Walks the audit chain at start and then `every` after each walk (zero: at start only), keeping the
/// last result for the admin page and /metrics; a broken chain is logged at error level.
async fn verify_audit_chain(
    db: Db,
    clock: SharedClock,
    status: backend::audit::monitor::VerificationStatus,
    metrics: Arc<backend::metrics::Metrics>,
    every: Duration,
) {
    loop {
        let last = status.run(&db, clock.now_ms()).await;
        metrics.audit_verification(&last);
        if every.is_zero() {
            return;
        }
        // Counted from the end of a walk, so a slow one never overlaps the next.
        tokio::time::sleep(every).await;
    }
}

/// Routing rules may name reviewing teams that do not exist yet (teams are created at run
/// time); say so at start so nobody waits for reviewers that cannot exist.
async fn warn_about_routing_teams(db: &Db, config: &Config) -> anyhow::Result<()> {
    let teams = accounts::list_teams(db).await.context("listing teams")?;
    for rule in &config.routing.config().rules {
        for reviewer in &rule.reviewers {
            match teams.iter().find(|t| t.slug == reviewer.team) {
                None => tracing::warn!(rule = %rule.name, team = %reviewer.team,
                    "routing rule names a team that does not exist; create it with `infradesk team add`"),
                Some(t) if !t.reviewing => tracing::warn!(rule = %rule.name, team = %reviewer.team,
                    "routing rule names a team that is not a reviewing team"),
                Some(_) => {}
            }
        }
    }
    Ok(())
}

/// SIGHUP reloads the catalog, as the admin page's button does.
fn spawn_reload_on_hangup(
    catalog: Arc<backend::catalog::CatalogStore>,
    db: Db,
    clock: SharedClock,
) -> Option<tokio::task::JoinHandle<()>> {
    #[cfg(unix)]
    {
        let mut hangup = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "cannot listen for SIGHUP; reload the catalog from the admin page");
                return None;
            }
        };
        Some(tokio::spawn(async move {
            while hangup.recv().await.is_some() {
                tracing::info!("SIGHUP: reloading the catalog");
                if let Err(e) = catalog.reload(&db, &Actor::System, clock.now_ms()).await {
                    tracing::error!(error = %e, "catalog reload could not be recorded; the old catalog stays");
                }
            }
        }))
    }
    #[cfg(not(unix))]
    {
        let _ = (catalog, db, clock);
        None
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {},
        () = terminate => {},
    }
    tracing::info!("shutdown requested; draining in-flight requests");
}
