//! The `broadsheet` binary: command line, configuration, and the server's
//! life cycle (start, serve, shut down cleanly).

pub mod cli;
pub mod config;
mod serve;

use broadsheet_app::{App, AppError};
use broadsheet_domain::permissions::Role;
use broadsheet_domain::{Actor, StoryStatus};
use broadsheet_store::{OpenOptions, Store};

use cli::{Cli, Command, PicksAction, ServeArgs, StoryAction, UserAction};
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
            let s = Settings::resolve(&cli.common, args.listen.as_deref())?;
            serve::serve(s, !args.no_demo).await
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
            let summary = make_demo(&store, d.stories, d.seed).await?;
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
    }
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
    broadsheet_app::demo::load(store, spec)
        .await
        .map_err(app_err)
}

pub fn print_staff(staff: &[(String, String, String)]) {
    println!("demo staff: sign in at /newsroom/sign-in (when the newsroom lands) as");
    let mut seen = std::collections::HashSet::new();
    for (user, name, role) in staff {
        if seen.insert(role.clone()) {
            println!(
                "  {role:<12} {user:<20} password {}  ({name})",
                broadsheet_app::accounts::demo_password(user)
            );
        }
    }
}

/// Prints a demo login for each role whose demo password still works (on a
/// real paper, none does, and nothing is printed).
pub async fn print_demo_logins(store: &Store) {
    let Ok(staff) = store.staff().await else {
        return;
    };
    let mut shown = Vec::new();
    for (user, name, role) in staff {
        if shown
            .iter()
            .any(|(_, _, r): &(String, String, String)| *r == role)
        {
            continue;
        }
        let Ok(Some(acct)) = store.author_by_username(&user).await else {
            continue;
        };
        let password = broadsheet_app::accounts::demo_password(&user);
        let hash = acct.password_hash.unwrap_or_default();
        let ok = tokio::task::spawn_blocking(move || {
            broadsheet_app::accounts::verify_password(&password, &hash)
        })
        .await
        .unwrap_or(false);
        if ok {
            shown.push((user, name, role));
        }
    }
    if !shown.is_empty() {
        print_staff(&shown);
    }
}
