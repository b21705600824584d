-- A staff member's byline picture (from the media library).
ALTER TABLE authors ADD COLUMN picture_id BIGINT REFERENCES pictures(id);
