-- Case text search: a full-text index (FTS5) of each case's summary and
-- description, ranked with bm25, kept up to date by triggers in the same
-- transaction as every case write.
CREATE VIRTUAL TABLE case_text USING fts5(summary, description, content='cases', content_rowid='id', tokenize='unicode61 remove_diacritics 2');
INSERT INTO case_text(case_text) VALUES ('rebuild');
CREATE TRIGGER case_text_insert AFTER INSERT ON cases BEGIN
    INSERT INTO case_text(rowid, summary, description) VALUES (new.id, new.summary, new.description);
END;
CREATE TRIGGER case_text_update AFTER UPDATE OF summary, description ON cases
WHEN old.summary IS NOT new.summary OR old.description IS NOT new.description BEGIN
    INSERT INTO case_text(case_text, rowid, summary, description) VALUES ('delete', old.id, old.summary, old.description);
    INSERT INTO case_text(rowid, summary, description) VALUES (new.id, new.summary, new.description);
END;
CREATE TRIGGER case_text_delete AFTER DELETE ON cases BEGIN
    INSERT INTO case_text(case_text, rowid, summary, description) VALUES ('delete', old.id, old.summary, old.description);
END;
