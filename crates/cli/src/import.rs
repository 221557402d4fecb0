//! `redress import invitations`: invites the customers of a CSV file to a
//! survey and writes their access codes, with a progress bar.
//!
//! Input columns (header row required, any order): `customer_id`, or
//! `email` with optional `name`, `timezone` and `phone` — a customer is found
//! by e-mail or created. Output: `customer_id,email,name,code,expires_at`.

use jiff::{SignedDuration, Timestamp};
use redress_core::customer::{parse_time_zone, NewCustomer};
use redress_core::store::Store;
use redress_core::survey::NewInvitation;
use redress_core::user::{optional_text, parse_email, required_text};
use redress_core::{CustomerId, SurveyId};
use std::path::PathBuf;

#[derive(clap::Args)]
pub struct Args {
    /// The survey to invite to.
    #[arg(long)]
    survey: i64,
    /// CSV file of customers (see `redress import invitations --help`).
    #[arg(long)]
    file: PathBuf,
    /// Where to write the codes (CSV); standard output when absent.
    #[arg(long)]
    output: Option<PathBuf>,
    /// Days the codes stay valid; the organisation's setting when absent.
    #[arg(long)]
    valid_days: Option<u32>,
}

/// Invitations written per transaction.
const BATCH: usize = 1000;

struct Row {
    customer: CustomerId,
    email: String,
    name: String,
}

pub async fn invitations(store: &dyn Store, args: Args) -> Result<(), String> {
    let survey = SurveyId(args.survey);
    store.survey(survey).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("survey {} does not exist", args.survey))?;
    let settings = store.settings().await.map_err(|e| e.to_string())?;
    let days = args.valid_days.unwrap_or(settings.invitation_valid_days);
    if !(1..=3650).contains(&days) {
        return Err("--valid-days must be 1 to 3650".into());
    }
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_path(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (id_col, email_col, name_col, tz_col, phone_col) = (col("customer_id"), col("email"), col("name"), col("timezone"), col("phone"));
    if id_col.is_none() && email_col.is_none() {
        return Err("the CSV needs a customer_id or an email column".into());
    }
    let records: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().map_err(|e| format!("{}: {e}", args.file.display()))?;
    let bar = indicatif::ProgressBar::new(records.len() as u64);
    bar.set_style(
        indicatif::ProgressStyle::with_template("{spinner} {bar:40} {pos}/{len} invited ({per_sec}, {eta} left)").unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
    );
    let mut out: Box<dyn std::io::Write> = match &args.output {
        Some(p) => Box::new(std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()))?),
        None => Box::new(std::io::stdout()),
    };
    let mut writer = csv::Writer::from_writer(&mut out);
    writer.write_record(["customer_id", "email", "name", "code", "expires_at"]).map_err(|e| e.to_string())?;
    let now = Timestamp::now();
    let expires_at = now + SignedDuration::from_hours(24 * i64::from(days));
    for (chunk_no, chunk) in records.chunks(BATCH).enumerate() {
        let mut rows = Vec::with_capacity(chunk.len());
        for (i, rec) in chunk.iter().enumerate() {
            let line = chunk_no * BATCH + i + 2;
            let field = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).filter(|v| !v.is_empty());
            let row = match (field(id_col), field(email_col)) {
                (Some(id), _) => {
                    let id: i64 = id.parse().map_err(|_| format!("line {line}: customer_id '{id}' is not a number"))?;
                    let c = store.customer(CustomerId(id)).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("line {line}: customer {id} does not exist"))?;
                    Row { customer: c.id, email: c.email.unwrap_or_default(), name: c.name }
                }
                (None, Some(email)) => {
                    let email = parse_email(Some(email)).map_err(|e| format!("line {line}: {e}"))?.unwrap_or_default();
                    match store.customer_by_email(&email).await.map_err(|e| e.to_string())? {
                        Some(c) => Row { customer: c.id, email, name: c.name },
                        None => {
                            let name = required_text("name", field(name_col).unwrap_or(&email), 200).map_err(|e| format!("line {line}: {e}"))?;
                            let timezone = match field(tz_col) {
                                Some(tz) => parse_time_zone(tz).map_err(|e| format!("line {line}: {e}"))?,
                                None => settings.timezone.clone(),
                            };
                            let phone = optional_text("phone", field(phone_col), 50).map_err(|e| format!("line {line}: {e}"))?;
                            let new = NewCustomer { name: name.clone(), email: Some(email.clone()), phone, timezone, client_manager_id: None, language: None };
                            let c = store.create_customer(new, now).await.map_err(|e| e.to_string())?;
                            Row { customer: c.id, email, name }
                        }
                    }
                }
                (None, None) => return Err(format!("line {line}: give a customer_id or an email")),
            };
            rows.push(row);
        }
        let mut codes = Vec::with_capacity(rows.len());
        let mut new = Vec::with_capacity(rows.len());
        for r in &rows {
            let (code, digest) = redress_web::auth::new_access_code().map_err(|e| e.detail)?;
            codes.push(code);
            new.push(NewInvitation { customer_id: r.customer, code_digest: digest, expires_at, case_id: None });
        }
        store.create_invitations(survey, new, now).await.map_err(|e| e.to_string())?;
        for (r, code) in rows.iter().zip(codes) {
            writer.write_record([r.customer.0.to_string(), r.email.clone(), r.name.clone(), code, expires_at.to_string()]).map_err(|e| e.to_string())?;
        }
        bar.inc(chunk.len() as u64);
    }
    writer.flush().map_err(|e| e.to_string())?;
    bar.finish_and_clear();
    eprintln!("invited {} customer(s) to survey {}", records.len(), args.survey);
    Ok(())
}
