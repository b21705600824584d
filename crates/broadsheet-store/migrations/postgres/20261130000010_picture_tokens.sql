-- Pictures get an unguessable public name: renditions are served at
-- /media/<token>-<width>.jpg, never by the sequential id. Existing pictures
-- get a random 128-bit token here (from the server's strong random source
-- via gen_random_uuid: 122 random bits); new ones get theirs from the app.
ALTER TABLE pictures ADD COLUMN token TEXT NOT NULL DEFAULT '';
UPDATE pictures SET token = replace(gen_random_uuid()::text, '-', '') WHERE token = '';
CREATE UNIQUE INDEX pictures_token ON pictures (token);
-- Whether a picture is in published use is asked on every media request.
CREATE INDEX stories_lead_picture ON stories (lead_picture_id);
CREATE INDEX authors_picture ON authors (picture_id);
