//! The paper plan, made once in `Demo::new` from every story's head (its
//! topic and standfirst candidates): which standfirst each story uses so
//! that no two stories share one, and which picture belongs to which story.
//!
//! Pictures are drawn *for* a story: picture `p < lead_slots` is the lead
//! picture of the `p`-th newest story, the rest are inline pictures of the
//! newest stories. A story older than the lead slots uses, as a file
//! picture, the lead picture of a newer story on the same topic (so a
//! central-bank story never gets a football ground), or none.

use std::collections::{HashMap, HashSet};
use std::hash::{DefaultHasher, Hash, Hasher};

use crate::rng::Rng;
use crate::story;
use crate::timeline::Timeline;

#[derive(Debug, Clone)]
pub(crate) struct Plan {
    n: usize,
    pcount: usize,
    lead_slots: usize,
    /// Per story: the index of its standfirst candidate.
    standfirst: Vec<u8>,
    /// Per story: (section, topic index).
    topic: Vec<(&'static str, usize)>,
    /// Stories that own a lead picture, by topic, newest first.
    owners: HashMap<(&'static str, usize), Vec<usize>>,
}

/// What a picture shows: the story it was drawn for, and whether it is
/// that story's lead picture or an inline one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Owner {
    pub story: usize,
    pub inline: bool,
}

impl Plan {
    pub(crate) fn new(
        seed: u64,
        n: usize,
        timeline: &Timeline,
        breaking_key: Option<usize>,
    ) -> Plan {
        let pcount = (n + n / 3).clamp(1, 240);
        let inline_slots = pcount / 4;
        let lead_slots = n.min(pcount - inline_slots);
        let mut standfirst = vec![0u8; n];
        let mut topic = Vec::with_capacity(n);
        let mut seen: HashSet<u64> = HashSet::with_capacity(n);
        for (key, choice) in standfirst.iter_mut().enumerate() {
            let h = story::head(seed, timeline, breaking_key, key);
            topic.push((h.section, h.topic_ix));
            let hashes: Vec<u64> = h.standfirsts.iter().map(|s| hash(s)).collect();
            let pick = hashes.iter().position(|x| !seen.contains(x)).unwrap_or(0);
            if let Some(x) = hashes.get(pick) {
                seen.insert(*x);
            }
            *choice = u8::try_from(pick).unwrap_or(0);
        }
        let mut owners: HashMap<(&'static str, usize), Vec<usize>> = HashMap::new();
        for rank in 0..lead_slots {
            let key = n - 1 - rank;
            owners.entry(topic[key]).or_default().push(key);
        }
        Plan {
            n,
            pcount,
            lead_slots,
            standfirst,
            topic,
            owners,
        }
    }

    pub(crate) fn picture_count(&self) -> usize {
        self.pcount
    }

    pub(crate) fn standfirst(&self, key: usize) -> usize {
        self.standfirst.get(key).map_or(0, |c| usize::from(*c))
    }

    /// The story's lead picture: its own, else (nine times in ten) a file
    /// picture of a newer story on the same topic, if there is one.
    pub(crate) fn lead_picture(&self, key: usize, r: &mut Rng) -> Option<usize> {
        let rank = self.n.checked_sub(key + 1)?;
        if rank < self.lead_slots {
            return Some(rank);
        }
        if !r.chance(0.9) {
            return None;
        }
        let owners = self.owners.get(self.topic.get(key)?)?;
        let owner = owners[key % owners.len()];
        Some(self.n - 1 - owner)
    }

    /// The story's inline picture (the newest stories have one).
    pub(crate) fn inline_picture(&self, key: usize) -> Option<usize> {
        let rank = self.n.checked_sub(key + 1)?;
        let p = self.lead_slots + rank;
        (p < self.pcount).then_some(p)
    }

    /// Who picture `p` was drawn for (none for a paper without stories).
    pub(crate) fn owner(&self, p: usize) -> Option<Owner> {
        if p < self.lead_slots {
            return Some(Owner {
                story: self.n - 1 - p,
                inline: false,
            });
        }
        let rank = p.checked_sub(self.lead_slots)?;
        (p < self.pcount && rank < self.n).then(|| Owner {
            story: self.n - 1 - rank,
            inline: true,
        })
    }
}

fn hash(s: &str) -> u64 {
    let mut h = DefaultHasher::new();
    s.hash(&mut h);
    h.finish()
}
