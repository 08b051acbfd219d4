-- The end-of-day statistics post: one per team day, across instances (the row is the claim).
CREATE TABLE chat_day_statistics (
    day         date PRIMARY KEY,
    message_id  bigint NOT NULL REFERENCES chat_messages (id)
);
