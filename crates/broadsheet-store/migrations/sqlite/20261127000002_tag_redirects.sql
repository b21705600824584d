-- A merged tag's old address keeps working: it redirects to the tag it was merged into.
CREATE TABLE tag_redirects (
    slug TEXT PRIMARY KEY,
    tag_id INTEGER NOT NULL REFERENCES tags(id) ON DELETE CASCADE
);
