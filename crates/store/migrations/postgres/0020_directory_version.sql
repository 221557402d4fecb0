-- A number every change to the directory a survey response is judged
-- against (settings, staff, service areas, surveys) moves on, so a process
-- may keep that directory in memory, compare one number before using it,
-- and compare it again inside the transaction that writes the response.
CREATE TABLE directory_version (id INTEGER PRIMARY KEY CHECK (id = 1), version BIGINT NOT NULL);
INSERT INTO directory_version (id, version) VALUES (1, 0);
CREATE FUNCTION directory_moved() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END
$$;
CREATE TRIGGER settings_moved AFTER INSERT OR UPDATE OR DELETE ON settings FOR EACH STATEMENT EXECUTE FUNCTION directory_moved();
CREATE TRIGGER users_moved AFTER INSERT OR UPDATE OR DELETE ON users FOR EACH STATEMENT EXECUTE FUNCTION directory_moved();
CREATE TRIGGER service_areas_moved AFTER INSERT OR UPDATE OR DELETE ON service_areas FOR EACH STATEMENT EXECUTE FUNCTION directory_moved();
CREATE TRIGGER surveys_moved AFTER INSERT OR UPDATE OR DELETE ON surveys FOR EACH STATEMENT EXECUTE FUNCTION directory_moved();
