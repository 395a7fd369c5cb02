//! The compliance matrix's one source: the plans of the active people a user may see, with
//! their role profiles, and the rates in date worked out from them. The matrix page, its
//! exports, the figures without names, the reminders and the JSON API all start here.

use super::plans::{self, PlanItem};
use super::reports::{self, OpenAssignment};
use crate::people::{self, Person};
use crate::{Result, Store};
use mashboard_domain::access::PeopleScope;
use mashboard_domain::training::{percent_rounded, ItemStatus};
use std::collections::{BTreeMap, HashMap, HashSet};
use time::Date;

/// Plans of the people a user may see, with what the filters need to know about them.
pub struct MatrixData {
    pub people: HashMap<i64, Person>,
    /// Plan items, in the store's order (by person, then module).
    pub items: Vec<PlanItem>,
    pub assignments: Vec<OpenAssignment>,
    /// The modules each role profile requires.
    pub profile_modules: HashMap<i64, Vec<i64>>,
    pub today: Date,
}

impl MatrixData {
    /// Loads the plans as of `today` of the people in `scope`. The scope rule of every view
    /// of the matrix: active people only, and of those only the ones `scope` reaches (everyone
    /// for those who run training, their own people for mentors and line managers).
    pub async fn load(store: &Store, scope: PeopleScope, today: Date) -> Result<MatrixData> {
        let people: HashMap<i64, Person> = people::all(store)
            .await?
            .into_iter()
            .filter(|p| p.active && people::in_scope(p, scope))
            .map(|p| (p.id, p))
            .collect();
        let items = plans::all_plans(store, today)
            .await?
            .into_iter()
            .filter(|i| people.contains_key(&i.person_id))
            .collect();
        let assignments = reports::open_assignments(store)
            .await?
            .into_iter()
            .filter(|a| people.contains_key(&a.person_id))
            .collect();
        let mut profile_modules: HashMap<i64, Vec<i64>> = HashMap::new();
        for pm in reports::profile_modules(store).await? {
            profile_modules
                .entry(pm.profile_id)
                .or_default()
                .push(pm.module_id);
        }
        Ok(MatrixData {
            people,
            items,
            assignments,
            profile_modules,
            today,
        })
    }

    /// The open role-profile assignments of one person.
    pub fn profiles_of(&self, person_id: i64) -> impl Iterator<Item = &OpenAssignment> {
        self.assignments
            .iter()
            .filter(move |a| a.person_id == person_id)
    }

    /// Percentage in date for each role profile: for everyone on the profile, each module it
    /// requires counts once.
    pub fn by_profile(&self) -> Vec<Rate> {
        let state: HashMap<(i64, i64), &PlanItem> = self
            .items
            .iter()
            .map(|i| ((i.person_id, i.module_id), i))
            .collect();
        let mut rates: Vec<Rate> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        let mut counted: HashSet<(i64, i64)> = HashSet::new();
        for a in &self.assignments {
            if !counted.insert((a.profile_id, a.person_id)) {
                continue;
            }
            let at = *index.entry(a.profile_id).or_insert_with(|| {
                rates.push(Rate::new(&a.profile_name));
                rates.len() - 1
            });
            let r = &mut rates[at];
            r.people += 1;
            for m in self
                .profile_modules
                .get(&a.profile_id)
                .into_iter()
                .flatten()
            {
                if let Some(i) = state.get(&(a.person_id, *m)) {
                    r.add(i.state.status, i.state.in_date);
                }
            }
        }
        rates
    }

    /// Percentage in date for each department (people without one are grouped together).
    pub fn by_department(&self) -> Vec<Rate> {
        let mut map: BTreeMap<String, (HashSet<i64>, Rate)> = BTreeMap::new();
        for i in &self.items {
            let Some(p) = self.people.get(&i.person_id) else {
                continue;
            };
            let dept = p
                .department
                .clone()
                .unwrap_or_else(|| "No department recorded".into());
            let (people, r) = map
                .entry(dept.clone())
                .or_insert_with(|| (HashSet::new(), Rate::new(&dept)));
            if people.insert(p.id) {
                r.people += 1;
            }
            r.add(i.state.status, i.state.in_date);
        }
        map.into_values().map(|(_, r)| r).collect()
    }

    /// Everyone's items together.
    pub fn overall(&self) -> Rate {
        let mut r = Rate::new("All plans");
        r.people = self
            .items
            .iter()
            .map(|i| i.person_id)
            .collect::<HashSet<_>>()
            .len();
        for i in &self.items {
            r.add(i.state.status, i.state.in_date);
        }
        r
    }
}

/// Required items in date for a group of people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rate {
    pub label: String,
    pub people: usize,
    pub required: usize,
    pub in_date: usize,
    /// Overdue or expired.
    pub out_of_date: usize,
    pub due_soon: usize,
}

impl Rate {
    pub fn new(label: &str) -> Rate {
        Rate {
            label: label.to_string(),
            people: 0,
            required: 0,
            in_date: 0,
            out_of_date: 0,
            due_soon: 0,
        }
    }

    pub fn add(&mut self, status: ItemStatus, in_date: bool) {
        self.required += 1;
        if in_date {
            self.in_date += 1;
        }
        match status {
            ItemStatus::Overdue | ItemStatus::Expired => self.out_of_date += 1,
            ItemStatus::DueSoon => self.due_soon += 1,
            _ => {}
        }
    }

    /// The whole percentage in date, rounded to the nearest; `None` when nothing is required.
    pub fn percent_in_date(&self) -> Option<u32> {
        percent_rounded(self.in_date, self.required)
    }

    /// "86%", or "No items" when there is nothing to count.
    pub fn percent(&self) -> String {
        match self.percent_in_date() {
            Some(p) => format!("{p}%"),
            None => "No items".into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn six_of_seven_in_date_is_86_percent() {
        let mut r = Rate::new("x");
        for i in 0..7 {
            r.add(ItemStatus::SignedOff, i < 6);
        }
        assert_eq!(r.percent(), "86%");
        assert_eq!(r.percent_in_date(), Some(86));
        assert_eq!(Rate::new("y").percent(), "No items");
    }
}
