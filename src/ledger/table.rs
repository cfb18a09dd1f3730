//! A keyed table of the ledger's state that knows what changed: every write marks its key for
//! the store, and keeps the prior value until the job that made it ends, so a refused or
//! panicking job can be put back without the operations tracking anything themselves.

use std::borrow::Borrow;
use std::collections::{BTreeSet, HashMap, HashSet};
use std::hash::Hash;

pub trait Key: Hash + Eq + Ord + Clone {}
impl<K: Hash + Eq + Ord + Clone> Key for K {}

#[derive(Debug, Clone)]
struct Undo<K, V> {
    key: K,
    prior: Option<V>,
    /// The key was not marked changed before this job: putting it back unmarks it.
    newly_dirty: bool,
}

#[derive(Debug, Clone)]
pub struct Table<K, V> {
    rows: HashMap<K, V>,
    /// Keys written since the store last took them.
    dirty: BTreeSet<K>,
    /// Prior values of the keys the current job wrote, first write first.
    undo: Vec<Undo<K, V>>,
    /// Keys with an entry in `undo`: only a job's first write to a key saves the prior value.
    touched: HashSet<K>,
}

impl<K, V> Default for Table<K, V> {
    fn default() -> Self {
        Table {
            rows: HashMap::new(),
            dirty: BTreeSet::new(),
            undo: Vec::new(),
            touched: HashSet::new(),
        }
    }
}

/// Two tables are equal when they hold the same rows and owe the store the same keys.
impl<K: Key, V: PartialEq> PartialEq for Table<K, V> {
    fn eq(&self, other: &Self) -> bool {
        self.rows == other.rows && self.dirty == other.dirty
    }
}

impl<K: Key, V: Clone> Table<K, V> {
    pub fn get<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> Option<&V>
    where
        K: Borrow<Q>,
    {
        self.rows.get(key)
    }

    pub fn contains_key<Q: Hash + Eq + ?Sized>(&self, key: &Q) -> bool
    where
        K: Borrow<Q>,
    {
        self.rows.contains_key(key)
    }

    pub fn values(&self) -> impl Iterator<Item = &V> {
        self.rows.values()
    }

    pub fn keys(&self) -> impl Iterator<Item = &K> {
        self.rows.keys()
    }

    pub fn iter(&self) -> impl Iterator<Item = (&K, &V)> {
        self.rows.iter()
    }

    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The row under `key` to change; marks it changed.
    pub fn get_mut<Q: Hash + Eq + ToOwned<Owned = K> + ?Sized>(&mut self, key: &Q) -> Option<&mut V>
    where
        K: Borrow<Q>,
    {
        if !self.rows.contains_key(key) {
            return None;
        }
        self.save(&key.to_owned());
        self.rows.get_mut(key)
    }

    pub fn insert(&mut self, key: K, value: V) -> Option<V> {
        self.save(&key);
        self.rows.insert(key, value)
    }

    pub fn remove<Q: Hash + Eq + ToOwned<Owned = K> + ?Sized>(&mut self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
    {
        if !self.rows.contains_key(key) {
            return None;
        }
        self.save(&key.to_owned());
        self.rows.remove(key)
    }

    /// Puts a row as the store holds it, not a change: nothing to write, nothing to undo.
    pub fn load(&mut self, key: K, value: V) {
        self.rows.insert(key, value);
    }

    /// Lets go of a row the store holds; not a change.
    pub fn forget(&mut self, key: &K) -> Option<V> {
        debug_assert!(!self.touched.contains(key), "forgetting a row mid-job");
        self.rows.remove(key)
    }

    fn save(&mut self, key: &K) {
        if self.touched.contains(key) {
            return;
        }
        self.touched.insert(key.clone());
        let newly_dirty = self.dirty.insert(key.clone());
        self.undo.push(Undo {
            key: key.clone(),
            prior: self.rows.get(key).cloned(),
            newly_dirty,
        });
    }

    /// The keys the current job wrote, first write first, each with its value before the
    /// job (`None`: the job made it).
    pub fn job_writes(&self) -> impl Iterator<Item = (&K, Option<&V>)> {
        self.undo.iter().map(|u| (&u.key, u.prior.as_ref()))
    }

    /// The keys changed since the last call.
    pub fn take_dirty(&mut self) -> BTreeSet<K> {
        std::mem::take(&mut self.dirty)
    }

    /// The current job's changes stand.
    pub fn keep_job(&mut self) {
        if !self.undo.is_empty() {
            self.undo.clear();
            self.touched.clear();
        }
    }

    /// Puts back every row the current job wrote, as it was before the job.
    pub fn undo_job(&mut self) {
        for Undo {
            key,
            prior,
            newly_dirty,
        } in self.undo.drain(..).rev()
        {
            if newly_dirty {
                self.dirty.remove(&key);
            }
            match prior {
                Some(value) => self.rows.insert(key, value),
                None => self.rows.remove(&key),
            };
        }
        self.touched.clear();
    }
}

impl<K: Key, Q: Hash + Eq + ?Sized, V> std::ops::Index<&Q> for Table<K, V>
where
    K: Borrow<Q>,
{
    type Output = V;
    fn index(&self, key: &Q) -> &V {
        &self.rows[key]
    }
}

impl<'a, K, V> IntoIterator for &'a Table<K, V> {
    type Item = (&'a K, &'a V);
    type IntoIter = std::collections::hash_map::Iter<'a, K, V>;
    fn into_iter(self) -> Self::IntoIter {
        self.rows.iter()
    }
}

/// A single value with the same job semantics as a table row.
#[derive(Debug, Clone, PartialEq)]
pub struct Tracked<T> {
    value: T,
    dirty: bool,
    prior: Option<(T, bool)>,
}

impl<T: Clone> Tracked<T> {
    pub fn new(value: T) -> Self {
        Tracked {
            value,
            dirty: false,
            prior: None,
        }
    }

    pub fn get_mut(&mut self) -> &mut T {
        if self.prior.is_none() {
            self.prior = Some((self.value.clone(), self.dirty));
        }
        self.dirty = true;
        &mut self.value
    }

    pub fn take_dirty(&mut self) -> bool {
        std::mem::take(&mut self.dirty)
    }

    pub fn keep_job(&mut self) {
        self.prior = None;
    }

    pub fn undo_job(&mut self) {
        if let Some((value, dirty)) = self.prior.take() {
            self.value = value;
            self.dirty = dirty;
        }
    }
}

impl<T> std::ops::Deref for Tracked<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.value
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_undone_job_leaves_rows_and_marks_as_they_were() {
        let mut t: Table<i64, String> = Table::default();
        t.insert(1, "a".into());
        t.keep_job();
        let before = t.clone();
        t.get_mut(&1).unwrap().push('b');
        t.get_mut(&1).unwrap().push('c');
        t.insert(2, "new".into());
        t.remove(&1);
        t.undo_job();
        assert!(t == before);
        assert_eq!(t.get(&1).map(String::as_str), Some("a"));
        assert_eq!(t.take_dirty().into_iter().collect::<Vec<_>>(), vec![1]);
    }

    #[test]
    fn a_kept_job_is_owed_to_the_store_and_cannot_be_undone() {
        let mut t: Table<i64, i64> = Table::default();
        t.load(7, 70);
        t.insert(1, 10);
        t.keep_job();
        t.undo_job();
        assert_eq!(t.get(&1), Some(&10));
        assert_eq!(t.take_dirty().into_iter().collect::<Vec<_>>(), vec![1]);
        assert!(t.take_dirty().is_empty());
        assert_eq!(t.forget(&7), Some(70));
    }

    #[test]
    fn a_cell_puts_back_its_value_and_mark() {
        let mut c = Tracked::new(1);
        *c.get_mut() = 2;
        c.keep_job();
        *c.get_mut() = 3;
        c.undo_job();
        assert_eq!(*c, 2);
        assert!(c.take_dirty());
    }
}
