-- A staff member's byline picture (from the media library).
ALTER TABLE authors ADD COLUMN picture_id INTEGER REFERENCES pictures(id);
