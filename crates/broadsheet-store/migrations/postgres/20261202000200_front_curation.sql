-- Front-page curation (issue 11 item 2): what editors put in the lead and
-- top slots of the home page and of each section front.
--
-- front: 0 for the home page, else the section's id. position: 0 is the
-- lead, 1.. the top slots in order. pinned_until: the end of a pin (unix
-- seconds; a job removes the row then and announces the change), NULL:
-- until an editor replaces or removes it. A story deleted leaves its slot.
CREATE TABLE front_slots (
    front BIGINT NOT NULL,
    position BIGINT NOT NULL,
    story_id BIGINT NOT NULL REFERENCES stories(id) ON DELETE CASCADE,
    pinned_until BIGINT,
    set_at BIGINT NOT NULL,
    PRIMARY KEY (front, position)
);
CREATE INDEX front_slots_pinned ON front_slots (pinned_until);

-- One row per front ever arranged: a change first bumps its version, so two
-- editors (or nodes) arranging one front at once queue on this row.
CREATE TABLE front_versions (
    front BIGINT PRIMARY KEY,
    version BIGINT NOT NULL
);
