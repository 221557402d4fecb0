-- Case search finds cases by their customer's name as typed (any part of
-- it): a trigram index of the names, so a search looks up the matching
-- customers instead of testing every name (FTS5's trigram tokenizer serves
-- LIKE '%…%' for patterns of three characters or more; case-insensitive).
CREATE VIRTUAL TABLE customer_names USING fts5(name, content='customers', content_rowid='id', tokenize='trigram');
INSERT INTO customer_names(customer_names) VALUES ('rebuild');
CREATE TRIGGER customer_names_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customer_names(rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER customer_names_update AFTER UPDATE OF name ON customers BEGIN
    INSERT INTO customer_names(customer_names, rowid, name) VALUES ('delete', old.id, old.name);
    INSERT INTO customer_names(rowid, name) VALUES (new.id, new.name);
END;
CREATE TRIGGER customer_names_delete AFTER DELETE ON customers BEGIN
    INSERT INTO customer_names(customer_names, rowid, name) VALUES ('delete', old.id, old.name);
END;
