//! Inbound e-mail parsing against random and hostile input: arbitrary bytes
//! are read or refused, never a panic; a message built from random parts
//! (encoded subject, base64 attachment of any size) reads back as written,
//! and an attachment over the limit refuses the whole message.

use base64::Engine;
use proptest::prelude::*;
use redress_mail::inbound::{parse, InboundError};

/// A multipart message: the subject RFC 2047-encoded, the text in UTF-8
/// quoted as base64, one attachment as base64.
fn message(from: &str, name: &str, subject: &str, text: &str, attachment: &[u8]) -> Vec<u8> {
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    format!(
        "From: \"{name}\" <{from}>\r\nTo: care@example.com\r\nSubject: =?UTF-8?B?{}?=\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"b0undary\"\r\n\r\n\
         --b0undary\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --b0undary\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"photo.bin\"\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n\
         --b0undary--\r\n",
        b64(subject.as_bytes()),
        b64(text.as_bytes()),
        b64(attachment)
    )
    .into_bytes()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_bytes_are_read_or_refused(raw in prop::collection::vec(any::<u8>(), 0..4096), limit in 0usize..10_000) {
        let _ = parse(&raw, limit);
    }

    #[test]
    fn header_like_noise_is_read_or_refused(lines in prop::collection::vec("[A-Za-z-]{1,20}: [ -~]{0,80}", 0..30), body in "[ -~\r\n]{0,500}") {
        let raw = format!("{}\r\n\r\n{body}", lines.join("\r\n"));
        let _ = parse(raw.as_bytes(), 1024);
    }

    #[test]
    fn a_message_reads_back_as_written(
        local in "[a-z0-9]{1,20}",
        name in "[A-Za-z][A-Za-z ]{0,30}[A-Za-z]",
        subject in "[^\r\n\u{0}]{1,100}",
        text in "[^\u{0}\r]{1,400}",
        attachment in prop::collection::vec(any::<u8>(), 0..2048),
        limit in 0usize..4096,
    ) {
        let from = format!("{local}@customer.example");
        let raw = message(&from, &name, &subject, &text, &attachment);
        match parse(&raw, limit) {
            Ok(email) => {
                prop_assert!(attachment.len() <= limit);
                prop_assert_eq!(email.from_address, from);
                prop_assert_eq!(email.from_name.as_deref(), Some(name.trim()));
                let want = subject.trim();
                prop_assert_eq!(email.subject.as_str(), if want.is_empty() { "(no subject)" } else { want });
                prop_assert_eq!(email.text.as_str(), text.trim());
                prop_assert_eq!(email.attachments.len(), 1);
                prop_assert_eq!(&email.attachments[0].data, &attachment);
            }
            Err(InboundError::AttachmentTooLarge { size, limit: l, .. }) => prop_assert!(size > l && size == attachment.len()),
            Err(e) => prop_assert!(false, "refused a well-formed message: {e}"),
        }
    }
}
