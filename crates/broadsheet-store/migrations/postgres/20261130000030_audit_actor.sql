-- Who did it, for every audit row: the kind of actor ('staff', 'operator',
-- 'scheduler', 'reader', 'agency'); actor_id is the staff (reader, agency)
-- id, NULL for the operator and the scheduler. The scheduler used to be
-- written as actor 0.
ALTER TABLE audit_log ADD COLUMN actor TEXT NOT NULL DEFAULT 'staff';
UPDATE audit_log SET actor = 'scheduler', actor_id = NULL WHERE actor_id = 0;
