//! `redress`: one binary for serving, migrating, administering, demonstrating
//! and benchmarking Redress.
#![forbid(unsafe_code)]

mod bench;
mod client;
mod config;
mod customer;
mod demo;
mod demo_history;
mod export;
mod import;
mod server;

use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// mimalloc: each thread allocates from heaps of its own and frees another
/// thread's memory without a lock, where glibc's allocator made the
/// database writer wait on the request threads' arenas (docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(name = "redress", version, about = "Closed-loop complaint and feedback resolution")]
struct Cli {
    /// Configuration file (TOML); `redress.toml` is read when present.
    #[arg(long, global = true)]
    config: Option<PathBuf>,
    /// Database URL: sqlite://PATH (created on first use) or postgres://…
    #[arg(long, global = true, env = "REDRESS_DATABASE_URL")]
    database_url: Option<String>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API (migrating the database first).
    Serve {
        /// Address to listen on, such as 127.0.0.1:8080.
        #[arg(long, env = "REDRESS_BIND")]
        bind: Option<String>,
    },
    /// Apply pending database migrations and exit.
    Migrate,
    /// Administer accounts.
    Admin {
        #[command(subcommand)]
        command: AdminCommand,
    },
    /// Seed a demo organisation and serve it: on a fresh temporary SQLite
    /// database unless --database-url names one.
    Demo {
        #[arg(long, default_value = "127.0.0.1:8080")]
        bind: String,
    },
    /// Import from CSV.
    Import {
        #[command(subcommand)]
        what: ImportCommand,
    },
    /// Write cases or survey responses as CSV, optionally of a period.
    Export(export::Args),
    /// A customer's data: export everything held about them, or erase it.
    Customer {
        #[command(subcommand)]
        command: CustomerCommand,
    },
    /// The insight rollups the figures are computed from.
    Rollups {
        #[command(subcommand)]
        command: RollupsCommand,
    },
    /// Measure case creation and survey ingest over HTTP on a fresh database.
    Bench(bench::Args),
    /// Write a consistent copy of the SQLite database, even while it serves.
    Backup {
        /// The file to write; it must not exist yet.
        #[arg(long)]
        output: PathBuf,
    },
    /// Put a backup in place of the SQLite database and bring its schema up
    /// to date (stop the server first).
    Restore {
        /// The backup to restore.
        #[arg(long)]
        input: PathBuf,
        /// Replace the database that is there.
        #[arg(long)]
        replace: bool,
    },
    /// Print the OpenAPI document.
    Openapi,
    /// The configuration in force.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Load the configuration as `serve` would (defaults, the file,
    /// REDRESS_ variables, flags), refusing unknown keys, and print the
    /// settings in force with passwords hidden.
    Check,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// Invite the customers of a CSV file to a survey and write their access codes.
    Invitations(import::Args),
}

#[derive(Subcommand)]
enum RollupsCommand {
    /// Recompute every rollup row from the cases, responses and invitations
    /// (while serving, reads go on and writes wait for it).
    Rebuild,
}

#[derive(Subcommand)]
enum CustomerCommand {
    /// Write everything held about a customer as one JSON document.
    Export(customer::ExportArgs),
    /// Erase a customer's personal data at their request, for good (figures are kept).
    Erase(customer::EraseArgs),
}

#[derive(Subcommand)]
enum AdminCommand {
    /// Create an admin account and print its API token.
    Create {
        #[arg(long, default_value = "Administrator")]
        name: String,
        #[arg(long)]
        email: Option<String>,
        /// Console password (10+ characters); read from REDRESS_ADMIN_PASSWORD if set.
        #[arg(long, env = "REDRESS_ADMIN_PASSWORD", hide_env_values = true)]
        password: Option<String>,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let rt = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    match rt.block_on(run(cli)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run(cli: Cli) -> Result<(), String> {
    let mut cfg = config::Config::load(cli.config.as_deref())?;
    let named_database = cli.database_url.clone();
    if let Some(url) = cli.database_url {
        cfg.database_url = url;
    }
    config::init_logging(&cfg.log);
    match cli.command {
        Command::Serve { bind } => {
            if let Some(b) = bind {
                cfg.bind = b;
            }
            server::serve_forever(&cfg).await
        }
        Command::Migrate => {
            let ran = redress_store::migrate(&cfg.database_url).await.map_err(|e| e.to_string())?;
            println!("{ran} migration(s) applied to {}", config::redact(&cfg.database_url));
            Ok(())
        }
        Command::Admin { command: AdminCommand::Create { name, email, password } } => {
            let store = redress_store::open(&cfg.database_url).await.map_err(|e| e.to_string())?;
            let (user, token) = server::create_admin(store.as_ref(), &name, email.as_deref(), password.as_deref()).await?;
            eprintln!("created admin user {} ({})", user.id, user.name);
            println!("{token}");
            Ok(())
        }
        Command::Import { what: ImportCommand::Invitations(args) } => {
            let store = redress_store::open(&cfg.database_url).await.map_err(|e| e.to_string())?;
            import::invitations(store.as_ref(), args).await
        }
        Command::Export(args) => {
            let store = redress_store::open(&cfg.database_url).await.map_err(|e| e.to_string())?;
            export::run(store, args).await
        }
        Command::Customer { command } => {
            let store = redress_store::open(&cfg.database_url).await.map_err(|e| e.to_string())?;
            match command {
                CustomerCommand::Export(args) => customer::export(store.as_ref(), args).await,
                CustomerCommand::Erase(args) => customer::erase(store.as_ref(), args).await,
            }
        }
        Command::Rollups { command: RollupsCommand::Rebuild } => {
            let store = redress_store::open(&cfg.database_url).await.map_err(|e| e.to_string())?;
            let started = std::time::Instant::now();
            let r = store.rebuild_rollups().await.map_err(|e| e.to_string())?;
            println!(
                "rebuilt {} rollup rows from {} cases, {} responses, {} invitations and {} customers in {:.1} s",
                r.rows,
                r.cases,
                r.responses,
                r.invitations,
                r.customers,
                started.elapsed().as_secs_f64()
            );
            Ok(())
        }
        Command::Demo { bind } => demo::run(named_database, &cfg, &bind).await,
        Command::Bench(args) => bench::run(args).await,
        Command::Backup { output } => {
            let bytes = redress_store::backup::backup(&cfg.database_url, &output).await.map_err(|e| e.to_string())?;
            println!("backed up {} to {} ({bytes} bytes)", config::redact(&cfg.database_url), output.display());
            Ok(())
        }
        Command::Restore { input, replace } => {
            let ran = redress_store::backup::restore(&cfg.database_url, &input, replace).await.map_err(|e| e.to_string())?;
            println!("restored {} to {} ({ran} migration(s) applied)", input.display(), config::redact(&cfg.database_url));
            Ok(())
        }
        Command::Config { command: ConfigCommand::Check } => {
            print!("{}", cfg.to_masked_toml()?);
            eprintln!("configuration ok");
            Ok(())
        }
        Command::Openapi => {
            println!("{}", redress_web::openapi_json()?);
            Ok(())
        }
    }
}
