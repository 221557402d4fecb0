-- Customers whose personal data was erased at their request (GDPR article
-- 17): by which admin and when. One row per customer; an erasure is final.
CREATE TABLE erasures (
    customer_id BIGINT PRIMARY KEY REFERENCES customers(id),
    erased_by BIGINT NOT NULL REFERENCES users(id),
    erased_at BIGINT NOT NULL
);
