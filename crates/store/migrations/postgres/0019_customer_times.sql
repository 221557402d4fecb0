-- A customer's first report and first closing, which every case and
-- response write reads for the loyalty figures, by index alone however
-- many cases the customer has.
CREATE INDEX cases_customer_times ON cases (customer_id, reported_at, closed_at);
