-- Money at each currency's ISO 4217 exponent (JPY 0, EUR 2, KWD 3), where
-- it used to be two decimal places for every currency.
--
-- A mandate keeps the exponent it was written at (before, always 2).
ALTER TABLE users ADD COLUMN mandate_exponent SMALLINT NOT NULL DEFAULT 2;
-- What a case costs, and the value awaiting approval, are kept in
-- ten-thousandths, where every currency's amounts are whole, so they sum
-- and compare in SQL whatever the currency. Projection 3 recomputes them
-- from each case as the store opens.
ALTER TABLE cases RENAME COLUMN pending_value_minor TO pending_value_scaled;
ALTER TABLE cases RENAME COLUMN remedies_minor TO remedies_scaled;
ALTER TABLE cases RENAME COLUMN gifts_minor TO gifts_scaled;
-- The rollups' costs are summed in ten-thousandths too.
UPDATE insight_state SET rebuild_needed = TRUE WHERE id = 1;
