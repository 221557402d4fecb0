//! Keyset pagination for newest-first lists: a link to the first page and
//! one to the next (older) page, keeping the list's filters.

/// The links under a list; either may be absent.
pub struct Pager {
    /// Back to the newest entries, when this is not the first page.
    pub first: Option<String>,
    /// The next page of older entries, when this page was full.
    pub older: Option<String>,
}

impl Pager {
    /// `base` is the list's address with its filters (`/console?status=open`),
    /// `before` the bound this page was read with, and `next_before` the id
    /// to continue from when the page was full.
    pub fn new(base: &str, before: Option<i64>, next_before: Option<i64>) -> Pager {
        let sep = if base.contains('?') { '&' } else { '?' };
        Pager { first: before.map(|_| base.to_string()), older: next_before.map(|id| format!("{base}{sep}before={id}")) }
    }

    /// The bound to continue from after a page of `ids` read with `limit`.
    pub fn next_before(ids: impl DoubleEndedIterator<Item = i64> + ExactSizeIterator, limit: usize) -> Option<i64> {
        if ids.len() == limit {
            ids.last()
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_keep_filters_and_appear_only_when_useful() {
        let p = Pager::new("/console?q=vase", Some(40), Some(20));
        assert_eq!(p.first.as_deref(), Some("/console?q=vase"));
        assert_eq!(p.older.as_deref(), Some("/console?q=vase&before=20"));
        let p = Pager::new("/console", None, None);
        assert!(p.first.is_none() && p.older.is_none());
        assert_eq!(Pager::new("/console", None, Some(7)).older.as_deref(), Some("/console?before=7"));
    }

    #[test]
    fn a_full_page_continues_from_its_last_id() {
        assert_eq!(Pager::next_before([9, 8, 7].into_iter(), 3), Some(7));
        assert_eq!(Pager::next_before([9, 8].into_iter(), 3), None);
    }
}
