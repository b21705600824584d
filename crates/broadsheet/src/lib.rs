//! The `broadsheet` binary: command line, configuration, and the server's
//! life cycle (start, serve, shut down cleanly).

pub mod cli;
pub mod config;
mod serve;

use broadsheet_app::{App, AppError};
use broadsheet_domain::StoryStatus;
use broadsheet_store::{OpenOptions, Store};

use cli::{Cli, Command, PicksAction, ServeArgs, StoryAction};
use config::Settings;

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
            if !app.set_story_status(id, status).await.map_err(app_err)? {
                store.close().await;
                return Err(format!(
                    "there is no story {id}: check the number at the end of the story's address"
                ));
            }
            println!("story {id} {done}; every node shows it within seconds");
            store.close().await;
            Ok(())
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
                    app.set_editors_picks(&ids).await.map_err(app_err)?;
                    println!("Editor's Picks set: {} stories", ids.len());
                }
            }
            store.close().await;
            Ok(())
        }
    }
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
    println!("demo staff (sign-in arrives with the newsroom):");
    for (user, name, role) in staff {
        println!("  {role:<12} {user:<12} {name}");
    }
}
