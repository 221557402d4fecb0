-- A customer's feedback responses, which every case and response write
-- reads for the loyalty figures (their times and scores), read from the
-- index alone: one walk along adjacent entries instead of a visit to each
-- response's row, scattered over the table by the responses of every other
-- customer in between.
DROP INDEX responses_customer;
CREATE INDEX responses_customer ON responses (customer_id, id, survey_id, created_at, lowest_rating, nps);
