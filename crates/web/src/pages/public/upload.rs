//! Customer forms with files (`multipart/form-data`): the complaint form and
//! a message on the status page. Text fields and files are read within
//! limits of their own — each file at most `max_attachment_bytes`, a few
//! files at most — so an oversized photo is refused by name, and nothing
//! is kept unless the whole form is acceptable.

use crate::pages::forms::FormFields;
use axum::extract::multipart::{Multipart, MultipartRejection};
use redress_core::case::NewAttachment;

/// Files one form may carry.
pub const MAX_FILES: usize = 3;
/// Text one form may carry, all fields together.
const MAX_TEXT: usize = 128 * 1024;
/// What is read (and thrown away) of a refused upload, so the browser gets
/// the refusal page instead of a broken connection.
const DRAIN_LIMIT: usize = 64 * 1024 * 1024;

/// A form's fields and its files.
pub struct Upload {
    pub fields: FormFields,
    pub files: Vec<NewAttachment>,
}

/// Why an upload was refused.
#[derive(Debug, PartialEq, Eq)]
pub enum Refused {
    /// This file is larger than one file may be.
    FileTooLarge(String),
    TooManyFiles,
    TextTooLarge,
    /// Not a form at all, or cut off.
    Unreadable,
}

/// Reads the whole form, or says why not.
pub async fn read(form: Result<Multipart, MultipartRejection>, max_file: usize) -> Result<Upload, Refused> {
    let mut parts = form.map_err(|_| Refused::Unreadable)?;
    let mut fields = Vec::new();
    let mut files = Vec::new();
    let mut text = 0usize;
    let mut refused = None;
    let mut drained = 0usize;
    loop {
        let mut field = match parts.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(_) => return Err(refused.unwrap_or(Refused::Unreadable)),
        };
        if refused.is_some() {
            // Read on to the end so the refusal reaches the browser.
            while let Ok(Some(chunk)) = field.chunk().await {
                drained += chunk.len();
                if drained > DRAIN_LIMIT {
                    return Err(refused.unwrap_or(Refused::Unreadable));
                }
            }
            continue;
        }
        let name = field.name().unwrap_or_default().to_string();
        let filename = field.file_name().map(str::to_string);
        let content_type = field.content_type().unwrap_or("application/octet-stream").to_string();
        let limit = if filename.is_some() { max_file } else { MAX_TEXT - text };
        let mut data = Vec::new();
        let mut over = false;
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    if data.len() + chunk.len() > limit {
                        over = true;
                        drained += chunk.len();
                    } else if !over {
                        data.extend_from_slice(&chunk);
                    }
                    if drained > DRAIN_LIMIT {
                        return Err(Refused::Unreadable);
                    }
                }
                Ok(None) => break,
                Err(_) => return Err(Refused::Unreadable),
            }
        }
        match filename {
            // A file input left empty still sends a part, without a name or bytes.
            Some(f) if f.is_empty() && data.is_empty() && !over => {}
            Some(f) if over => refused = Some(Refused::FileTooLarge(f)),
            Some(_) if files.len() == MAX_FILES => refused = Some(Refused::TooManyFiles),
            Some(f) => files.push(NewAttachment { filename: clean_name(&f), content_type, data }),
            None if over => refused = Some(Refused::TextTooLarge),
            None => {
                text += data.len();
                fields.push((name, String::from_utf8_lossy(&data).into_owned()));
            }
        }
    }
    match refused {
        Some(r) => Err(r),
        None => Ok(Upload { fields: FormFields(fields), files }),
    }
}

/// A file's name without any folder a browser sent along, at most 200 characters.
fn clean_name(name: &str) -> String {
    let base = name.rsplit(['/', '\\']).next().unwrap_or(name).trim();
    let base: String = base.chars().filter(|c| !c.is_control()).take(200).collect();
    if base.is_empty() { "file".into() } else { base }
}

#[cfg(test)]
mod tests {
    #[test]
    fn file_names_lose_their_folders() {
        assert_eq!(super::clean_name("C:\\Users\\ada\\photo.jpg"), "photo.jpg");
        assert_eq!(super::clean_name("../../etc/passwd"), "passwd");
        assert_eq!(super::clean_name(""), "file");
    }
}
