//! The section tree, loaded once and shared.

use std::collections::HashMap;

use broadsheet_domain::Section;

#[derive(Debug, Default)]
pub struct SectionTree {
    all: Vec<Section>,
    by_id: HashMap<i64, usize>,
    by_path: HashMap<String, usize>,
}

impl SectionTree {
    pub fn new(all: Vec<Section>) -> SectionTree {
        let by_id = all.iter().enumerate().map(|(i, s)| (s.id, i)).collect();
        let by_path = all
            .iter()
            .enumerate()
            .map(|(i, s)| (s.path.clone(), i))
            .collect();
        SectionTree {
            all,
            by_id,
            by_path,
        }
    }

    /// Every section, in the order they are kept (by position).
    pub fn all(&self) -> &[Section] {
        &self.all
    }

    pub fn get(&self, id: i64) -> Option<&Section> {
        self.by_id.get(&id).map(|&i| &self.all[i])
    }

    pub fn by_path(&self, path: &str) -> Option<&Section> {
        self.by_path.get(path).map(|&i| &self.all[i])
    }

    /// Top-level sections, in order.
    pub fn top(&self) -> impl Iterator<Item = &Section> {
        self.all.iter().filter(|s| s.parent_id.is_none())
    }

    pub fn children(&self, id: i64) -> impl Iterator<Item = &Section> {
        self.all.iter().filter(move |s| s.parent_id == Some(id))
    }

    /// The section and those above it, top first.
    pub fn ancestry(&self, id: i64) -> Vec<&Section> {
        let mut chain = Vec::new();
        let mut cur = self.get(id);
        while let Some(s) = cur {
            chain.push(s);
            if chain.len() > 16 {
                break;
            }
            cur = s.parent_id.and_then(|p| self.get(p));
        }
        chain.reverse();
        chain
    }

    /// The path of a section (`news/world`), empty if unknown.
    pub fn path(&self, id: i64) -> &str {
        self.get(id).map(|s| s.path.as_str()).unwrap_or("")
    }

    /// The top-level section a section belongs to.
    pub fn root(&self, id: i64) -> Option<&Section> {
        self.ancestry(id).into_iter().next()
    }
}
