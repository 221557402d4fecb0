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

/// A customer a row of the CSV asks for, checked: by id, or by e-mail with
/// what is known of them (used when the customer is new).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Wanted {
    Known { line: usize, id: i64 },
    ByEmail { line: usize, email: String, name: Option<String>, timezone: Option<String>, phone: Option<String> },
}

/// Reads and checks the CSV: a header row naming the columns (any case,
/// any order), then on every row a `customer_id` or an `email`. A refusal
/// names the line and what is wrong with it.
pub fn read_rows(input: impl std::io::Read) -> Result<Vec<Wanted>, String> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(input);
    let headers = reader.headers().map_err(|e| e.to_string())?.clone();
    let col = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
    let (id_col, email_col, name_col, tz_col, phone_col) = (col("customer_id"), col("email"), col("name"), col("timezone"), col("phone"));
    if id_col.is_none() && email_col.is_none() {
        return Err("the CSV needs a customer_id or an email column".into());
    }
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let line = i + 2;
        let rec = rec.map_err(|e| format!("line {line}: {e}"))?;
        let field = |c: Option<usize>| c.and_then(|c| rec.get(c)).map(str::trim).filter(|v| !v.is_empty());
        rows.push(match (field(id_col), field(email_col)) {
            (Some(id), _) => Wanted::Known { line, id: id.parse().map_err(|_| format!("line {line}: customer_id '{id}' is not a number"))? },
            (None, Some(email)) => {
                let at_line = |e: redress_core::DomainError| format!("line {line}: {e}");
                let email = parse_email(Some(email)).map_err(at_line)?.unwrap_or_default();
                let name = field(name_col).map(|n| required_text("name", n, 200)).transpose().map_err(at_line)?;
                let timezone = field(tz_col).map(parse_time_zone).transpose().map_err(at_line)?;
                let phone = optional_text("phone", field(phone_col), 50).map_err(at_line)?;
                Wanted::ByEmail { line, email, name, timezone, phone }
            }
            (None, None) => return Err(format!("line {line}: give a customer_id or an email")),
        });
    }
    Ok(rows)
}

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
    let file = std::fs::File::open(&args.file).map_err(|e| format!("{}: {e}", args.file.display()))?;
    let records = read_rows(file).map_err(|e| format!("{}: {e}", args.file.display()))?;
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
    for chunk in records.chunks(BATCH) {
        let mut rows = Vec::with_capacity(chunk.len());
        for rec in chunk {
            let row = match rec {
                Wanted::Known { line, id } => {
                    let c = store.customer(CustomerId(*id)).await.map_err(|e| e.to_string())?.ok_or_else(|| format!("line {line}: customer {id} does not exist"))?;
                    Row { customer: c.id, email: c.email.unwrap_or_default(), name: c.name }
                }
                Wanted::ByEmail { email, name, timezone, phone, .. } => match store.customer_by_email(email).await.map_err(|e| e.to_string())? {
                    Some(c) => Row { customer: c.id, email: email.clone(), name: c.name },
                    None => {
                        let name = name.clone().unwrap_or_else(|| email.clone());
                        let timezone = timezone.clone().unwrap_or_else(|| settings.timezone.clone());
                        let new = NewCustomer { name: name.clone(), email: Some(email.clone()), phone: phone.clone(), timezone, client_manager_id: None, language: None };
                        let c = store.create_customer(new, now).await.map_err(|e| e.to_string())?;
                        Row { customer: c.id, email: email.clone(), name }
                    }
                },
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

#[cfg(test)]
mod tests {
    use super::{read_rows, Wanted};
    use proptest::prelude::*;

    fn wanted() -> impl Strategy<Value = Wanted> {
        prop_oneof![
            (0i64..i64::MAX).prop_map(|id| Wanted::Known { line: 0, id }),
            (
                "[a-z0-9.]{1,20}@[a-z]{1,10}\\.[a-z]{2,5}",
                proptest::option::of("[A-Za-z][A-Za-z ,\"'-]{0,40}[A-Za-z]"),
                proptest::option::of(prop::sample::select(vec!["Europe/London", "America/New_York", "Asia/Tokyo", "UTC"])),
                proptest::option::of("\\+?[0-9 ]{3,20}[0-9]"),
            )
                .prop_map(|(email, name, timezone, phone)| Wanted::ByEmail { line: 0, email, name, timezone: timezone.map(str::to_string), phone }),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Any bytes are rows or a refusal naming what is wrong, never a panic.
        #[test]
        fn any_bytes_are_rows_or_a_refusal(raw in prop::collection::vec(any::<u8>(), 0..2048)) {
            if let Err(e) = read_rows(raw.as_slice()) {
                prop_assert!(!e.is_empty());
            }
        }

        /// Rows written as a spreadsheet would write them (quoted where
        /// needed, columns in any order) read back as they were meant.
        #[test]
        fn written_rows_read_back(rows in prop::collection::vec(wanted(), 1..40), reversed in any::<bool>()) {
            let mut columns = vec!["customer_id", "email", "name", "timezone", "phone"];
            if reversed {
                columns.reverse();
            }
            let mut w = csv::Writer::from_writer(Vec::new());
            w.write_record(&columns).unwrap();
            for row in &rows {
                let cell = |c: &str| match row {
                    Wanted::Known { id, .. } => if c == "customer_id" { id.to_string() } else { String::new() },
                    Wanted::ByEmail { email, name, timezone, phone, .. } => match c {
                        "email" => email.clone(),
                        "name" => name.clone().unwrap_or_default(),
                        "timezone" => timezone.clone().unwrap_or_default(),
                        "phone" => phone.clone().unwrap_or_default(),
                        _ => String::new(),
                    },
                };
                w.write_record(columns.iter().map(|c| cell(c))).unwrap();
            }
            let read = read_rows(w.into_inner().unwrap().as_slice()).unwrap();
            let expected: Vec<Wanted> = rows.into_iter().enumerate().map(|(i, r)| match r {
                Wanted::Known { id, .. } => Wanted::Known { line: i + 2, id },
                Wanted::ByEmail { email, name, timezone, phone, .. } => Wanted::ByEmail { line: i + 2, email, name: name.map(|n| n.trim().to_string()), timezone, phone: phone.map(|p| p.trim().to_string()) },
            }).collect();
            prop_assert_eq!(read, expected);
        }
    }

    #[test]
    fn refusals_name_the_line() {
        let e = read_rows("email,name\nada@example.com,Ada\nnot-an-address,Bob\n".as_bytes()).unwrap_err();
        assert!(e.starts_with("line 3:") && e.contains("not an e-mail address"), "{e}");
        let e = read_rows("customer_id\n12\nseven\n".as_bytes()).unwrap_err();
        assert!(e.contains("line 3: customer_id 'seven' is not a number"), "{e}");
        assert!(read_rows("name\nAda\n".as_bytes()).unwrap_err().contains("needs a customer_id or an email column"));
    }
}
