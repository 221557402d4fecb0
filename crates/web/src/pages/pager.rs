//! Pages for lists, numbered or by id: links to the first, the newer and
//! the older page, keeping the list's filters.

/// The links under a list; each is absent where it would lead nowhere.
pub struct Pager {
    /// Back to page 1, from page 3 on.
    pub first: Option<String>,
    /// The page before this one.
    pub newer: Option<String>,
    /// The page after this one, when this page was full.
    pub older: Option<String>,
}

impl Pager {
    /// `base` is the list's address with its filters (`/console?queue=mine`),
    /// `page` this page's number (from 1), `more` whether a next page exists.
    pub fn numbered(base: &str, page: u32, more: bool) -> Pager {
        let sep = if base.contains('?') { '&' } else { '?' };
        let at = |n: u32| if n <= 1 { base.to_string() } else { format!("{base}{sep}page={n}") };
        Pager { first: (page > 2).then(|| at(1)), newer: (page > 1).then(|| at(page - 1)), older: more.then(|| at(page + 1)) }
    }

    /// Pages by id (`before=`), newest first: back to the start once paged
    /// on, and on from `last`, the page's last id, when the page was full.
    pub fn keyset(base: &str, before: Option<i64>, last: Option<i64>) -> Pager {
        let sep = if base.contains('?') { '&' } else { '?' };
        Pager { first: before.map(|_| base.to_string()), newer: None, older: last.map(|id| format!("{base}{sep}before={id}")) }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keyset_pages_on_from_the_last_id() {
        let p = Pager::keyset("/console/outbox?status=sent", Some(90), Some(40));
        assert_eq!((p.first.as_deref(), p.older.as_deref()), (Some("/console/outbox?status=sent"), Some("/console/outbox?status=sent&before=40")));
        let p = Pager::keyset("/console/admin/audit", None, None);
        assert!(p.first.is_none() && p.newer.is_none() && p.older.is_none());
    }

    #[test]
    fn links_keep_filters_and_appear_only_when_useful() {
        let p = Pager::numbered("/console?q=vase", 3, true);
        assert_eq!(p.first.as_deref(), Some("/console?q=vase"));
        assert_eq!(p.newer.as_deref(), Some("/console?q=vase&page=2"));
        assert_eq!(p.older.as_deref(), Some("/console?q=vase&page=4"));
        let p = Pager::numbered("/console", 1, false);
        assert!(p.first.is_none() && p.newer.is_none() && p.older.is_none());
        let p = Pager::numbered("/console", 2, false);
        assert_eq!(p.newer.as_deref(), Some("/console"), "page 1 is the list itself");
        assert!(p.first.is_none());
    }
}
