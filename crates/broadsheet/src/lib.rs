//! The `broadsheet` binary: command line, configuration, and the server's
//! life cycle (start, serve, shut down cleanly).

pub mod cli;
pub mod config;
mod serve;

use std::path::PathBuf;

use broadsheet_app::demo::Renditions;
use broadsheet_app::{App, AppError};
use broadsheet_domain::permissions::Role;
use broadsheet_domain::{Actor, StoryStatus};
use broadsheet_store::{OpenOptions, Store};

use cli::{
    AgencyAction, Cli, Command, MailAction, PicksAction, ServeArgs, StoryAction, UserAction,
};
use config::Settings;

/// The log filter: `spec` (from `BROADSHEET_LOG` or `RUST_LOG`) or else
/// `info,sqlx=warn`. The HTML parser under the sanitiser (html5ever, through
/// the `log` bridge) warns once per element of odd markup (12,000 lines for
/// one hostile preview), so its targets log errors only unless `spec` names
/// them.
pub fn log_filter(spec: Option<&str>) -> tracing_subscriber::EnvFilter {
    use tracing_subscriber::EnvFilter;
    const DEFAULT: &str = "info,sqlx=warn";
    let spec = spec.unwrap_or(DEFAULT);
    let mut filter = EnvFilter::try_new(spec).unwrap_or_else(|_| EnvFilter::new(DEFAULT));
    for target in ["html5ever", "markup5ever"] {
        if !spec.contains(target)
            && let Ok(d) = format!("{target}=error").parse()
        {
            filter = filter.add_directive(d);
        }
    }
    filter
}

/// Runs a parsed command line. Errors are one line for the operator.
pub async fn run(cli: Cli) -> Result<(), String> {
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => {
            let s = Settings::resolve(&cli.common, Some(&args))?;
            serve::serve(
                s,
                serve::DemoPolicy {
                    make_if_empty: !args.no_demo,
                    on_public_address: args.demo_on_public_address,
                },
            )
            .await
        }
        Command::Migrate => {
            let s = Settings::resolve(&cli.common, None)?;
            let store = open(&s, true).await?;
            println!(
                "database is up to date ({})",
                broadsheet_store::redact(&s.database_url)
            );
            store.close().await;
            Ok(())
        }
        Command::Demo(d) => {
            let s = Settings::resolve(&cli.common, None)?;
            let store = open(&s, true).await?;
            let started = std::time::Instant::now();
            // The command leaves a whole paper (every rendition made): it is
            // what benchmarks and a later `serve` start from.
            let summary = make_demo(&store, d.stories, d.seed, Renditions::All).await?;
            println!(
                "demo paper ready in {:.1} s: {} stories, {} pictures, {} comments, {} views",
                started.elapsed().as_secs_f64(),
                summary.stories,
                summary.pictures,
                summary.comments,
                summary.views
            );
            print_staff(&summary.staff);
            store.close().await;
            Ok(())
        }
        Command::Reindex => {
            let s = Settings::resolve(&cli.common, None)?;
            let store = open(&s, false).await?;
            let msg = broadsheet_app::reindex(&store, &s.paper)
                .await
                .map_err(app_err)?;
            println!("{msg}");
            // Search (issue 13): rebuild this data directory's index (running
            // servers rebuild their own on the change event just written).
            let dir = broadsheet_app::search::default_dir(&s.data_dir);
            let mut paper = s.paper.clone();
            paper.search_dir = Some(dir.clone());
            match broadsheet_app::search::SearchIndex::open_at(Some(&dir)) {
                Err(e) => println!(
                    "search index at {} not rebuilt here ({e}): a server using it rebuilds it within seconds",
                    dir.display()
                ),
                Ok(index) => {
                    drop(index);
                    let app = App::new(store.clone(), paper).await.map_err(app_err)?;
                    let (n, took) = broadsheet_app::search::rebuild(&app)
                        .await
                        .map_err(app_err)?;
                    println!(
                        "search index rebuilt: {n} stories in {:.2} s ({})",
                        took.as_secs_f64(),
                        dir.display()
                    );
                }
            }
            store.close().await;
            Ok(())
        }
        Command::Story { action } => {
            let s = Settings::resolve(&cli.common, None)?;
            let store = open(&s, false).await?;
            let app = App::new(store.clone(), s.paper.clone())
                .await
                .map_err(app_err)?;
            let (id, status, done) = match action {
                StoryAction::Withdraw { id } => (id, StoryStatus::Withdrawn, "withdrawn"),
                StoryAction::Restore { id } => (id, StoryStatus::Published, "published again"),
            };
            // The same use case as the newsroom's, as the operator: state
            // machine, audit row and change event in one transaction.
            let done_ok = app
                .set_story_status(&Actor::Operator, id, status)
                .await
                .map_err(app_err);
            if !done_ok? {
                store.close().await;
                return Err(format!(
                    "there is no story {id}: check the number at the end of the story's address"
                ));
            }
            println!("story {id} {done}; every node shows it within seconds");
            store.close().await;
            Ok(())
        }
        Command::User { action } => {
            let s = Settings::resolve(&cli.common, None)?;
            let store = open(&s, false).await?;
            let r = match App::new(store.clone(), s.paper.clone()).await {
                Ok(app) => user_command(&app, action).await,
                Err(e) => Err(app_err(e)),
            };
            store.close().await;
            r
        }
        Command::Picks { action } => {
            let s = Settings::resolve(&cli.common, None)?;
            let store = open(&s, false).await?;
            let app = App::new(store.clone(), s.paper.clone())
                .await
                .map_err(app_err)?;
            match action {
                PicksAction::Show => {
                    let ids = store.editors_picks().await.map_err(|e| e.to_string())?;
                    let cards = store.cards_by_ids(&ids).await.map_err(|e| e.to_string())?;
                    for (i, id) in ids.iter().enumerate() {
                        let h = cards
                            .iter()
                            .find(|c| c.id == *id)
                            .map(|c| c.headline.as_str())
                            .unwrap_or("(not published)");
                        println!("{}. {id} {h}", i + 1);
                    }
                }
                PicksAction::Set { ids } => {
                    app.set_editors_picks(&Actor::Operator, &ids)
                        .await
                        .map_err(app_err)?;
                    println!("Editor's Picks set: {} stories", ids.len());
                }
            }
            store.close().await;
            Ok(())
        }
        Command::Ingest { agency, files } => {
            let s = Settings::resolve(&cli.common, None)?;
            let store = open(&s, false).await?;
            let app = App::new(store.clone(), s.paper.clone())
                .await
                .map_err(app_err)?;
            let r = ingest_command(&app, &agency, &files).await;
            store.close().await;
            r
        }
        Command::Agency { action } => {
            let s = Settings::resolve(&cli.common, None)?;
            let store = open(&s, false).await?;
            let app = App::new(store.clone(), s.paper.clone())
                .await
                .map_err(app_err)?;
            let r = agency_command(&app, action).await;
            store.close().await;
            r
        }
        Command::Mail { action } => {
            let s = Settings::resolve(&cli.common, None)?;
            let store = open(&s, false).await?;
            let app = App::new(store.clone(), s.paper.clone())
                .await
                .map_err(app_err)?;
            let r = mail_command(&app, action).await;
            store.close().await;
            r
        }
    }
}

/// `broadsheet ingest`: each file through the wire's one door, as the agency.
async fn ingest_command(app: &App, agency: &str, files: &[PathBuf]) -> Result<(), String> {
    use broadsheet_app::wire::{self, FileOutcome, Source};
    let a = wire::agency(app, agency).await.map_err(app_err)?;
    let mut quarantined = 0;
    for f in files {
        let name = f
            .file_name()
            .map(|n| n.to_string_lossy().to_string())
            .unwrap_or_else(|| f.display().to_string());
        let src = Source {
            transport: "cli",
            name: &name,
            dir: f.parent(),
        };
        // At most one byte over the limit is read: the reader refuses it.
        let mut bytes = Vec::new();
        std::fs::File::open(f)
            .and_then(|file| {
                use std::io::Read;
                file.take(broadsheet_domain::wire::MAX_BYTES as u64 + 1)
                    .read_to_end(&mut bytes)
            })
            .map_err(|e| format!("{}: {e}", f.display()))?;
        match wire::ingest_file(app, &a, &src, &bytes)
            .await
            .map_err(app_err)?
        {
            FileOutcome::Read(items) if items.is_empty() => {
                println!(
                    "{}: no items in the file (a package of references or an empty list): nothing to do",
                    f.display()
                );
            }
            FileOutcome::Read(items) => {
                for o in items {
                    println!("{}: {o}", f.display());
                }
            }
            FileOutcome::Quarantined { id, reason } => {
                quarantined += 1;
                println!("{}: quarantined ({id}): {reason}", f.display());
            }
        }
    }
    if quarantined > 0 {
        return Err(format!(
            "{quarantined} of {} files could not be read: they are quarantined, and the newsroom's wire queue shows why",
            files.len()
        ));
    }
    Ok(())
}

/// `broadsheet agency …`: as the operator, through the newsroom's use cases.
async fn agency_command(app: &App, action: AgencyAction) -> Result<(), String> {
    use broadsheet_app::wire;
    let op = Actor::Operator;
    match action {
        AgencyAction::List => {
            for a in app.store().agencies().await.map_err(|e| e.to_string())? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\tpush {}",
                    a.slug,
                    a.name,
                    a.mode,
                    app.sections().path(a.section_id),
                    if a.active { "active" } else { "paused" },
                    if a.token_hash.is_some() { "on" } else { "off" }
                );
            }
        }
        AgencyAction::Add {
            slug,
            name,
            byline,
            credit,
            section,
            mode,
        } => {
            let Some(sec) = app
                .sections()
                .by_path(section.trim_matches('/'))
                .map(|s| s.id)
            else {
                return Err(format!(
                    "there is no section {section:?}: give a section's path as in its address (news, sport)"
                ));
            };
            let fields = broadsheet_store::AgencyFields {
                slug,
                name,
                credit: credit.unwrap_or_else(|| byline.clone()),
                byline,
                section_id: sec,
                mode,
                active: true,
            };
            let id = wire::add_agency(app, &op, &fields).await.map_err(app_err)?;
            println!("agency {} added ({id}), {}", fields.slug, fields.mode);
        }
        AgencyAction::Token { slug } => {
            let a = wire::agency(app, &slug).await.map_err(app_err)?;
            let token = wire::new_token(app, &op, a.id).await.map_err(app_err)?;
            println!("{token}");
            eprintln!(
                "push token for {slug} (shown once): POST files to /wire/{slug} with Authorization: Bearer <token>"
            );
        }
        AgencyAction::Rules { slug, file } => {
            let a = wire::agency(app, &slug).await.map_err(app_err)?;
            let text =
                std::fs::read_to_string(&file).map_err(|e| format!("{}: {e}", file.display()))?;
            wire::set_rules(app, &op, a.id, &text)
                .await
                .map_err(app_err)?;
            println!("rules for {slug} saved");
        }
    }
    Ok(())
}

/// `broadsheet mail …`: the suppression list, through the newsletters'
/// use cases as the operator (audited like the newsroom's changes).
async fn mail_command(app: &App, action: MailAction) -> Result<(), String> {
    use broadsheet_app::newsletters;
    match action {
        MailAction::Suppress { email, reason } => {
            newsletters::suppress(app, &Actor::Operator, &email, &reason)
                .await
                .map_err(app_err)?;
            println!(
                "{} is on the suppression list ({reason})",
                email.trim().to_lowercase()
            );
        }
        MailAction::Unsuppress { email } => {
            newsletters::unsuppress(app, &Actor::Operator, &email)
                .await
                .map_err(app_err)?;
            println!(
                "{} is off the suppression list",
                email.trim().to_lowercase()
            );
        }
        MailAction::Suppressed => {
            let o = newsletters::overview(app, &Actor::Operator)
                .await
                .map_err(app_err)?;
            for s in o.suppressions {
                println!("{}\t{}\t{}", s.email, s.reason, s.detail);
            }
        }
    }
    Ok(())
}

fn read_password_stdin() -> Result<String, String> {
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("cannot read the password from standard input: {e}"))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

fn parse_role(role: &str) -> Result<Role, String> {
    role.parse::<Role>().map_err(|e| e.to_string())
}

/// The user commands, as the operator, through the same app functions (and
/// audit rows) as the newsroom.
async fn user_command(app: &App, action: UserAction) -> Result<(), String> {
    use broadsheet_app::accounts;
    let store = app.store();
    let op = &Actor::Operator;
    match action {
        UserAction::Add {
            username,
            name,
            email,
            role,
            password_stdin,
        } => {
            let role = parse_role(&role)?;
            let (password, generated) = if password_stdin {
                (read_password_stdin()?, false)
            } else {
                (accounts::generate_password(), true)
            };
            accounts::add_user(app, op, &username, &name, &email, role, &password)
                .await
                .map_err(app_err)?;
            if generated {
                println!("added {username} ({role}); password: {password}");
            } else {
                println!("added {username} ({role})");
            }
        }
        UserAction::Role { username, role } => {
            let role = parse_role(&role)?;
            accounts::set_role(app, op, &username, role)
                .await
                .map_err(app_err)?;
            println!("{username} is now {role}");
        }
        UserAction::Reset {
            username,
            password_stdin,
            clear_two_factor,
        } => {
            let given = if password_stdin {
                Some(read_password_stdin()?)
            } else {
                None
            };
            let password = accounts::reset_password(app, op, &username, given.as_deref())
                .await
                .map_err(app_err)?;
            if clear_two_factor {
                accounts::clear_two_factor(app, op, &username)
                    .await
                    .map_err(app_err)?;
                println!("two-factor sign-in turned off for {username}");
            }
            if given.is_some() {
                println!("password for {username} changed; their sessions have ended");
            } else {
                println!("new password for {username}: {password} (their sessions have ended)");
            }
        }
        UserAction::List => {
            for (user, name, role) in store.staff().await.map_err(|e| e.to_string())? {
                println!("{user:<24} {role:<12} {name}");
            }
        }
    }
    Ok(())
}

fn app_err(e: AppError) -> String {
    e.to_string()
}

/// Opens the configured database and applies migrations.
pub async fn open(s: &Settings, create: bool) -> Result<Store, String> {
    let store = Store::open(&OpenOptions {
        url: s.database_url.clone(),
        create,
        max_connections: s.max_connections,
    })
    .await
    .map_err(|e| e.to_string())?;
    store.migrate().await.map_err(|e| e.to_string())?;
    Ok(store)
}

pub async fn make_demo(
    store: &Store,
    stories: usize,
    seed: u64,
    renditions: Renditions,
) -> Result<broadsheet_app::demo::DemoSummary, String> {
    if stories > 1_000_000 {
        return Err(format!(
            "{stories} stories is more than the demo makes: use at most 1000000"
        ));
    }
    let spec = broadsheet_demo::DemoSpec {
        seed,
        stories,
        now: broadsheet_app::now(),
    };
    broadsheet_app::demo::load(store, spec, renditions)
        .await
        .map_err(app_err)
}

/// Prints a login for each demo role, once: right after the demo was made.
/// The passwords are random and stored only as hashes, so they can never be
/// shown again (`broadsheet user reset NAME` sets a new one). The line format
/// (`  ROLE USER password PASSWORD  (NAME)`) is read by `browser/check.mjs`.
pub fn print_staff(staff: &[broadsheet_app::demo::DemoLogin]) {
    println!(
        "demo staff: sign in at /newsroom/sign-in as (these passwords are shown only now; \
         `broadsheet user reset NAME` sets a new one)"
    );
    let mut seen = std::collections::HashSet::new();
    for login in staff {
        if seen.insert(login.role.as_str()) {
            println!(
                "  {:<12} {:<20} password {}  ({})",
                login.role, login.username, login.password, login.name
            );
        }
    }
    let others = staff.len().saturating_sub(seen.len());
    if others > 0 {
        println!(
            "  ({others} more demo staff have random passwords too: `broadsheet user list`, then `broadsheet user reset NAME`)"
        );
    }
}

/// What to do on a paper with no staff: make the first admin.
pub fn print_first_admin_hint() {
    println!(
        "no staff accounts yet: make the first admin with\n  \
         broadsheet user add NAME --name \"First Last\" --email you@example.com --role admin\n\
         (with the same --data-dir or --database-url); it prints a generated password once"
    );
}
