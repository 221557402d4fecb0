//! Inbound e-mail: a raw RFC 5322 message read into what a case needs —
//! sender, subject, text (HTML-only mail converted), attachments — with
//! encoded headers and multipart bodies decoded by `mail-parser`.

use mail_parser::{MessageParser, MimeHeaders};

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundEmail {
    pub from_address: String,
    pub from_name: Option<String>,
    pub subject: String,
    pub text: String,
    pub attachments: Vec<InboundAttachment>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InboundAttachment {
    pub filename: String,
    pub content_type: String,
    pub data: Vec<u8>,
}

/// Why a message was refused; each says what is wrong.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InboundError {
    #[error("the body is not an RFC 5322 message: it has no header section")]
    NotAMessage,
    #[error("the message has no From address")]
    NoSender,
    #[error("attachment '{name}' is {size} bytes; the limit is {limit} bytes")]
    AttachmentTooLarge { name: String, size: usize, limit: usize },
}

/// Reads a raw message, refusing any attachment over `max_attachment` bytes.
pub fn parse(raw: &[u8], max_attachment: usize) -> Result<InboundEmail, InboundError> {
    let looks_like_headers = raw.iter().take(1000).position(|b| *b == b':').is_some_and(|colon| {
        raw[..colon].iter().all(|b| b.is_ascii_graphic() && *b != b':') && colon > 0
    });
    if !looks_like_headers {
        return Err(InboundError::NotAMessage);
    }
    let message = MessageParser::default().parse(raw).ok_or(InboundError::NotAMessage)?;
    let from = message.from().and_then(|a| a.first()).ok_or(InboundError::NoSender)?;
    let from_address = from.address().map(str::trim).filter(|a| a.contains('@')).ok_or(InboundError::NoSender)?.to_string();
    let from_name = from.name().map(str::trim).filter(|n| !n.is_empty()).map(str::to_string);
    let subject = message.subject().map(str::trim).filter(|s| !s.is_empty()).unwrap_or("(no subject)").to_string();
    let text = message.body_text(0).map(|t| t.trim().to_string()).unwrap_or_default();
    let mut attachments = Vec::new();
    for (i, part) in message.attachments().enumerate() {
        let name = part.attachment_name().map(str::to_string).unwrap_or_else(|| format!("attachment-{}", i + 1));
        let data = part.contents();
        if data.len() > max_attachment {
            return Err(InboundError::AttachmentTooLarge { name, size: data.len(), limit: max_attachment });
        }
        let content_type = part
            .content_type()
            .map(|c| match c.subtype() {
                Some(sub) => format!("{}/{}", c.ctype(), sub),
                None => c.ctype().to_string(),
            })
            .unwrap_or_else(|| "application/octet-stream".into());
        attachments.push(InboundAttachment { filename: name, content_type, data: data.to_vec() });
    }
    Ok(InboundEmail { from_address, from_name, subject, text, attachments })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_encoded_headers_html_only_and_attachments() {
        let raw = "From: =?utf-8?q?Jos=C3=A9_Garc=C3=ADa?= <jose@example.com>\r\nSubject: =?utf-8?b?TWkgcGVkaWRv?= [RD-12]\r\n\
                   MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>Hola <b>mundo</b></p>\r\n\
                   --b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=photo.png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--b--\r\n";
        let e = parse(raw.as_bytes(), 1000).unwrap();
        assert_eq!(e.from_address, "jose@example.com");
        assert_eq!(e.from_name.as_deref(), Some("José García"));
        assert_eq!(e.subject, "Mi pedido [RD-12]");
        assert!(e.text.contains("Hola mundo") || e.text.contains("Hola *mundo*"), "{}", e.text);
        assert_eq!(e.attachments[0].filename, "photo.png");
        assert_eq!(e.attachments[0].content_type, "image/png");
        assert_eq!(e.attachments[0].data, vec![0x89, b'P', b'N', b'G', b'\r', b'\n', 0x1a, b'\n']);
        assert!(matches!(parse(raw.as_bytes(), 4), Err(InboundError::AttachmentTooLarge { .. })));
    }

    #[test]
    fn refuses_what_is_not_a_message() {
        assert_eq!(parse(b"hello there", 10), Err(InboundError::NotAMessage));
        assert_eq!(parse(b"Subject: hi\r\n\r\nbody", 10), Err(InboundError::NoSender));
    }
}
