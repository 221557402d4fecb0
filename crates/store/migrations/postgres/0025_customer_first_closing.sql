-- A customer's first report and first closing, which every case and
-- response write reads for the loyalty figures: each the first entry of an
-- index of its own, however many cases the customer has. (Through one index
-- of both times, the first closing was a walk over every case of the
-- customer, and on PostgreSQL a visit to each row's heap page as well.)
-- Only closed cases enter the closing index, so opening a case costs nothing
-- there.
DROP INDEX cases_customer_times;
CREATE INDEX cases_customer_reported ON cases (customer_id, reported_at);
CREATE INDEX cases_customer_closed ON cases (customer_id, closed_at) WHERE closed_at IS NOT NULL;
