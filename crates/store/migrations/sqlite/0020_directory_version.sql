-- A number every change to the directory a survey response is judged
-- against (settings, staff, service areas, surveys) moves on, so a process
-- may keep that directory in memory, compare one number before using it,
-- and compare it again inside the transaction that writes the response.
CREATE TABLE directory_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
INSERT INTO directory_version (id, version) VALUES (1, 0);
CREATE TRIGGER settings_moved_insert AFTER INSERT ON settings BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER settings_moved_update AFTER UPDATE ON settings BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER settings_moved_delete AFTER DELETE ON settings BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER users_moved_insert AFTER INSERT ON users BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER users_moved_update AFTER UPDATE ON users BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER users_moved_delete AFTER DELETE ON users BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER service_areas_moved_insert AFTER INSERT ON service_areas BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER service_areas_moved_update AFTER UPDATE ON service_areas BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER service_areas_moved_delete AFTER DELETE ON service_areas BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER surveys_moved_insert AFTER INSERT ON surveys BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER surveys_moved_update AFTER UPDATE ON surveys BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
CREATE TRIGGER surveys_moved_delete AFTER DELETE ON surveys BEGIN UPDATE directory_version SET version = version + 1 WHERE id = 1; END;
