//! `redress customer export` and `redress customer erase`: a customer's data
//! (GDPR articles 15 and 17) from the command line, on the database as
//! `import` works — the same document and the same erasure as
//! `GET /api/v1/customers/{id}/export` and `POST /api/v1/customers/{id}/erase`.

use redress_core::store::Store;
use redress_core::{CustomerId, UserId};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct ExportArgs {
    /// The customer.
    #[arg(long)]
    id: i64,
    /// Where to write the JSON document; standard output when absent.
    #[arg(long)]
    output: Option<PathBuf>,
}

#[derive(clap::Args)]
pub struct EraseArgs {
    /// The customer whose personal data is erased, for good.
    #[arg(long)]
    id: i64,
    /// The admin (user id) at whose hand the erasure is recorded.
    #[arg(long, env = "REDRESS_ADMIN_ID")]
    by: i64,
}

pub async fn export(store: &dyn Store, args: ExportArgs) -> Result<(), String> {
    let doc = redress_web::api::customer_data::export(store, CustomerId(args.id), jiff::Timestamp::now()).await.map_err(|e| e.detail)?;
    let text = serde_json::to_string_pretty(&doc).map_err(|e| format!("cannot write the export: {e}"))?;
    match &args.output {
        Some(path) => {
            std::fs::write(path, format!("{text}\n")).map_err(|e| format!("{}: {e}", path.display()))?;
            eprintln!("wrote everything held about customer {} to {}", args.id, path.display());
        }
        None => println!("{text}"),
    }
    Ok(())
}

pub async fn erase(store: &dyn Store, args: EraseArgs) -> Result<(), String> {
    let admin = store.user(UserId(args.by)).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("--by {}: there is no such user", args.by))?;
    let r = redress_web::api::customer_data::erase(store, &admin, CustomerId(args.id), jiff::Timestamp::now()).await.map_err(|e| e.detail)?;
    println!(
        "erased the personal data of customer {}: {} case(s), {} communication(s), {} file(s) deleted, {} response(s), {} pending message(s) cancelled, {} status link(s) revoked",
        args.id, r.cases, r.communications, r.attachments_deleted, r.responses, r.notifications_cancelled, r.status_links_revoked
    );
    Ok(())
}
