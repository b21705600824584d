-- Pictures get an unguessable public name: renditions are served at
-- /media/<token>-<width>.jpg, never by the sequential id. Existing pictures
-- get a random 128-bit token here; new ones get theirs from the app.
ALTER TABLE pictures ADD COLUMN token TEXT NOT NULL DEFAULT '';
UPDATE pictures SET token = lower(hex(randomblob(16))) WHERE token = '';
CREATE UNIQUE INDEX pictures_token ON pictures (token);
-- Whether a picture is in published use is asked on every media request.
CREATE INDEX stories_lead_picture ON stories (lead_picture_id);
CREATE INDEX authors_picture ON authors (picture_id);
