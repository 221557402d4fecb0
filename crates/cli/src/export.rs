//! `redress export`: cases or survey responses as CSV, on the database as
//! `import` works — the same rows, read the same way (keyset batches of a
//! thousand), as `GET /api/v1/export/cases` and `/responses`, with a
//! progress bar on standard error when it is a terminal.

use redress_core::store::Store;
use redress_web::api::export::{period, Dataset, Export};
use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

#[derive(Clone, Copy, clap::ValueEnum)]
pub enum What {
    /// Cases, by when they were reported.
    Cases,
    /// Survey responses, by when they were given.
    Responses,
}

#[derive(clap::Args)]
pub struct Args {
    /// What to export.
    #[arg(long, value_enum)]
    what: What,
    /// Start of the period (inclusive): an RFC 3339 timestamp, or a date
    /// YYYY-MM-DD for the start of that day in the organisation's time zone.
    #[arg(long)]
    from: Option<String>,
    /// End of the period (exclusive), written as --from is.
    #[arg(long)]
    to: Option<String>,
    /// Where to write the CSV; standard output when absent.
    #[arg(long)]
    output: Option<PathBuf>,
}

pub async fn run(store: Arc<dyn Store>, args: Args) -> Result<(), String> {
    let what = match args.what {
        What::Cases => Dataset::Cases,
        What::Responses => Dataset::Responses,
    };
    let range = period(store.as_ref(), args.from.as_deref(), args.to.as_deref()).await.map_err(|e| e.detail)?;
    let mut export = Export::new(store, what, range).await.map_err(|e| e.to_string())?;
    let total = export.count().await.map_err(|e| e.to_string())?;
    let bar = indicatif::ProgressBar::new(total.max(0) as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template(&format!("{{spinner}} {{bar:40}} {{pos}}/{{len}} {} ({{per_sec}}, {{eta}} left)", what.as_str()))
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut out: Box<dyn Write> = match &args.output {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?)),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    let place = args.output.as_ref().map_or("standard output".to_string(), |p| p.display().to_string());
    let mut rows = 0u64;
    while let Some(chunk) = export.next_chunk().await.map_err(|e| e.to_string())? {
        out.write_all(&chunk.csv).map_err(|e| format!("{place}: {e}"))?;
        rows += chunk.rows;
        bar.set_position(rows);
    }
    out.flush().map_err(|e| format!("{place}: {e}"))?;
    bar.finish_and_clear();
    eprintln!("exported {rows} {} to {place}", what.as_str());
    Ok(())
}
