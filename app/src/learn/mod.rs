//! The learner's progress, as plain Rust (tested natively): quiz attempts, mastery per skill
//! (m of the last n, as in Kolibri), lesson completion, streaks of active days, spaced review
//! with FSRS-5, "what next" recommendations, and the export file.
//!
//! The UI keeps one [`Progress`] record in IndexedDB (`kv` store, key [`STORE_KEY`]). Every
//! field is `#[serde(default)]` and the record carries its own [`Progress::version`], so a record
//! written by an older app loads in a newer one ([`Progress::migrate`]) and an app update never
//! loses it.

pub mod compute;
pub mod fsrs;
pub mod sim;
pub mod text;
pub mod transfer;

use std::collections::{BTreeMap, BTreeSet};

use bitsmith_curriculum::Catalog;
use serde::{Deserialize, Serialize};

pub use fsrs::Card;

/// The progress record's key in the `kv` store.
pub const STORE_KEY: &str = "progress";

/// Version of the progress record's shape. Bump it (and add a step to [`Progress::migrate`])
/// when a field changes meaning; adding a defaulted field needs no bump.
pub const PROGRESS_VERSION: u32 = 1;

/// Mastery rule, as Kolibri's "m of n": a skill is mastered when at least `M` of the learner's
/// last `N` answers on its quiz items are right.
pub const MASTERY_M: usize = 3;
pub const MASTERY_N: usize = 5;

/// Attempts kept (the oldest are dropped beyond this; mastery only looks at the last few).
pub const MAX_ATTEMPTS: usize = 5_000;

/// One answer to a quiz item.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Attempt {
    /// Quiz item id, `<lesson>/<item>`.
    pub item: String,
    /// Milliseconds since the Unix epoch.
    pub at: i64,
    pub correct: bool,
    /// Answered in a spaced review (not while reading the lesson).
    pub review: bool,
}

impl Attempt {
    /// The lesson the item belongs to.
    pub fn lesson(&self) -> &str {
        lesson_of(&self.item)
    }
}

/// The lesson id of a quiz item id (`<lesson>/<item>`).
pub fn lesson_of(item: &str) -> &str {
    item.split_once('/').map_or(item, |(l, _)| l)
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct Progress {
    pub version: u32,
    /// Every answer, oldest first.
    pub attempts: Vec<Attempt>,
    /// FSRS memory state per quiz item id.
    pub cards: BTreeMap<String, Card>,
    /// Lessons completed (every quiz item answered right at least once): id → when (ms).
    pub completed: BTreeMap<String, i64>,
    /// Lessons opened: id → last time (ms).
    pub opened: BTreeMap<String, i64>,
    /// Days with any learning activity, as local day numbers (see [`local_day`]).
    pub days: BTreeSet<i64>,
}

/// A local calendar day: days since 1970-01-01 in the learner's time zone, where
/// `offset_minutes` is JavaScript's `Date.getTimezoneOffset()` (minutes to add to local time to
/// get UTC; −60 in Madrid in winter).
pub fn local_day(ms: i64, offset_minutes: i32) -> i64 {
    (ms - i64::from(offset_minutes) * 60_000).div_euclid(fsrs::DAY_MS)
}

impl Progress {
    pub fn new() -> Progress {
        Progress {
            version: PROGRESS_VERSION,
            ..Progress::default()
        }
    }

    /// Brings a record written by an older app up to [`PROGRESS_VERSION`]. Version 0 is a
    /// record without a version field (none were shipped; kept as the pattern for later steps).
    pub fn migrate(mut self) -> Progress {
        if self.version == 0 {
            self.version = 1;
        }
        self
    }

    /// Records the lesson being opened (for "continue where you left off").
    pub fn open(&mut self, lesson: &str, now: i64) {
        self.opened.insert(lesson.to_string(), now);
    }

    /// Records an answer: the attempt, the FSRS schedule, the active day, and the lesson's
    /// completion once every one of `lesson_items` has been answered right.
    pub fn answer(
        &mut self,
        item: &str,
        correct: bool,
        review: bool,
        now: i64,
        offset_minutes: i32,
        lesson_items: &[String],
    ) {
        self.attempts.push(Attempt {
            item: item.to_string(),
            at: now,
            correct,
            review,
        });
        if self.attempts.len() > MAX_ATTEMPTS {
            let extra = self.attempts.len() - MAX_ATTEMPTS;
            self.attempts.drain(..extra);
        }
        let grade = if correct {
            fsrs::Grade::Good
        } else {
            fsrs::Grade::Again
        };
        let card = fsrs::review(self.cards.get(item), grade, now);
        self.cards.insert(item.to_string(), card);
        self.days.insert(local_day(now, offset_minutes));
        let lesson = lesson_of(item).to_string();
        if !self.completed.contains_key(&lesson)
            && !lesson_items.is_empty()
            && lesson_items.iter().all(|i| self.ever_right(i))
        {
            self.completed.insert(lesson, now);
        }
    }

    /// True when `item` has been answered right at least once.
    pub fn ever_right(&self, item: &str) -> bool {
        self.attempts.iter().any(|a| a.correct && a.item == item)
    }

    /// The latest answer to `item`.
    pub fn last_attempt(&self, item: &str) -> Option<&Attempt> {
        self.attempts.iter().rev().find(|a| a.item == item)
    }

    pub fn is_completed(&self, lesson: &str) -> bool {
        self.completed.contains_key(lesson)
    }

    /// Quiz items due at `now`, the most overdue first.
    pub fn due(&self, now: i64) -> Vec<(&str, &Card)> {
        let mut due: Vec<_> = self
            .cards
            .iter()
            .filter(|(_, c)| c.due <= now)
            .map(|(k, c)| (k.as_str(), c))
            .collect();
        due.sort_by_key(|(k, c)| (c.due, *k));
        due
    }

    /// The next time (ms) a card falls due after `now`, if any.
    pub fn next_due(&self, now: i64) -> Option<i64> {
        self.cards
            .values()
            .map(|c| c.due)
            .filter(|&d| d > now)
            .min()
    }

    /// Consecutive active days ending today, or ending yesterday when today has no activity yet
    /// (a streak is not lost until a whole day passes without learning).
    pub fn current_streak(&self, today: i64) -> u32 {
        let start = if self.days.contains(&today) {
            today
        } else if self.days.contains(&(today - 1)) {
            today - 1
        } else {
            return 0;
        };
        let mut n = 0;
        while self.days.contains(&(start - i64::from(n))) {
            n += 1;
        }
        n
    }

    /// The longest run of consecutive active days.
    pub fn longest_streak(&self) -> u32 {
        let (mut best, mut run, mut prev) = (0u32, 0u32, None::<i64>);
        for &d in &self.days {
            run = if prev == Some(d - 1) { run + 1 } else { 1 };
            best = best.max(run);
            prev = Some(d);
        }
        best
    }

    /// Mastery of every skill in the catalog, in catalog order.
    pub fn mastery(&self, catalog: &Catalog) -> Vec<SkillMastery> {
        // lesson id → its skills
        let mut skills_of: BTreeMap<&str, &[String]> = BTreeMap::new();
        for l in &catalog.lessons {
            skills_of.insert(l.id.as_str(), &l.skills);
        }
        let mut recent: BTreeMap<&str, Vec<bool>> = BTreeMap::new();
        let mut total: BTreeMap<&str, usize> = BTreeMap::new();
        // Newest first, so each skill's window is its latest N answers.
        for a in self.attempts.iter().rev() {
            for s in skills_of.get(a.lesson()).copied().unwrap_or_default() {
                *total.entry(s.as_str()).or_default() += 1;
                let w = recent.entry(s.as_str()).or_default();
                if w.len() < MASTERY_N {
                    w.push(a.correct);
                }
            }
        }
        catalog
            .skills
            .iter()
            .map(|s| {
                let w = recent
                    .get(s.id.as_str())
                    .map(Vec::as_slice)
                    .unwrap_or_default();
                let right = w.iter().filter(|&&c| c).count();
                SkillMastery {
                    skill: s.id.clone(),
                    title: s.title.clone(),
                    right,
                    window: w.len(),
                    attempts: total.get(s.id.as_str()).copied().unwrap_or(0),
                    mastered: right >= MASTERY_M,
                }
            })
            .collect()
    }

    /// What to learn next: lessons not yet completed whose prerequisites are all completed,
    /// best first. A lesson already started comes first; then lessons whose skills are being
    /// practised but not mastered (finish what you began); then lessons teaching skills not
    /// yet touched; catalog order breaks ties, so the course is followed in teaching order.
    pub fn recommend(&self, catalog: &Catalog, limit: usize) -> Vec<Recommendation> {
        let mastery = self.mastery(catalog);
        let state = |id: &str| mastery.iter().find(|m| m.skill == id);
        let mut out: Vec<(u8, usize, Recommendation)> = catalog
            .lessons
            .iter()
            .enumerate()
            .filter(|(_, l)| !self.is_completed(&l.id))
            .filter(|(_, l)| l.prerequisites.iter().all(|p| self.is_completed(p)))
            .map(|(i, l)| {
                let practising = l
                    .skills
                    .iter()
                    .any(|s| state(s).is_some_and(|m| m.attempts > 0 && !m.mastered));
                let all_mastered = !l.skills.is_empty()
                    && l.skills
                        .iter()
                        .all(|s| state(s).is_some_and(|m| m.mastered));
                let (rank, reason) = if self.opened.contains_key(&l.id) {
                    (0, Reason::Continue)
                } else if practising {
                    (1, Reason::Strengthen)
                } else if all_mastered {
                    (3, Reason::Ready)
                } else {
                    (2, Reason::Ready)
                };
                (
                    rank,
                    i,
                    Recommendation {
                        lesson: l.id.clone(),
                        reason,
                    },
                )
            })
            .collect();
        out.sort_by_key(|(rank, i, _)| (*rank, *i));
        out.into_iter().take(limit).map(|(_, _, r)| r).collect()
    }

    /// Folds another record (an imported file) into this one: the union of attempts (by item
    /// and time), completions (earliest), openings (latest), active days, and for each card the
    /// more recently reviewed state.
    pub fn merge(&mut self, other: Progress) {
        let seen: BTreeSet<(String, i64)> = self
            .attempts
            .iter()
            .map(|a| (a.item.clone(), a.at))
            .collect();
        self.attempts.extend(
            other
                .attempts
                .into_iter()
                .filter(|a| !seen.contains(&(a.item.clone(), a.at))),
        );
        self.attempts.sort_by_key(|a| a.at);
        if self.attempts.len() > MAX_ATTEMPTS {
            let extra = self.attempts.len() - MAX_ATTEMPTS;
            self.attempts.drain(..extra);
        }
        for (k, c) in other.cards {
            match self.cards.get(&k) {
                Some(mine) if mine.last_review >= c.last_review => {}
                _ => {
                    self.cards.insert(k, c);
                }
            }
        }
        for (k, t) in other.completed {
            let e = self.completed.entry(k).or_insert(t);
            *e = (*e).min(t);
        }
        for (k, t) in other.opened {
            let e = self.opened.entry(k).or_insert(t);
            *e = (*e).max(t);
        }
        self.days.extend(other.days);
        self.version = PROGRESS_VERSION;
    }
}

/// One skill's state under the m-of-n rule.
#[derive(Clone, Debug, PartialEq)]
pub struct SkillMastery {
    pub skill: String,
    pub title: String,
    /// Right answers among the last `window` (at most `MASTERY_N`).
    pub right: usize,
    pub window: usize,
    /// Every answer ever given on the skill's items.
    pub attempts: usize,
    pub mastered: bool,
}

impl SkillMastery {
    /// Progress towards mastery in [0, 1] (right answers in the window over M).
    pub fn level(&self) -> f64 {
        (self.right as f64 / MASTERY_M as f64).min(1.0)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reason {
    /// Opened but not completed.
    Continue,
    /// Teaches a skill being practised but not yet mastered.
    Strengthen,
    /// Its prerequisites are done.
    Ready,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Recommendation {
    pub lesson: String,
    pub reason: Reason,
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use bitsmith_curriculum::{LessonMeta, Level, Skill, Track};

    pub fn lesson(id: &str, prereq: &[&str], skills: &[&str], items: usize) -> LessonMeta {
        LessonMeta {
            id: id.into(),
            title: id.to_uppercase(),
            summary: String::new(),
            track: "t".into(),
            order: 1,
            level: Level::Intro,
            prerequisites: prereq.iter().map(|s| s.to_string()).collect(),
            skills: skills.iter().map(|s| s.to_string()).collect(),
            minutes: 5,
            sources: vec![],
            research: false,
            headings: vec![],
            quiz_items: (0..items).map(|i| format!("{id}/q{i}")).collect(),
            widgets: vec![],
            weights: vec![],
            bundle_bytes: 0,
            bundle_hash: String::new(),
        }
    }

    pub fn catalog() -> Catalog {
        Catalog {
            format_version: 1,
            lang: "en".into(),
            tracks: vec![Track {
                id: "t".into(),
                title: "T".into(),
                order: 1,
                description: String::new(),
                research: false,
            }],
            skills: ["basics", "formats", "search"]
                .iter()
                .map(|s| Skill {
                    id: s.to_string(),
                    title: s.to_uppercase(),
                })
                .collect(),
            lessons: vec![
                lesson("a", &[], &["basics"], 3),
                lesson("b", &["a"], &["basics", "formats"], 2),
                lesson("c", &["a"], &["search"], 2),
                lesson("d", &["b", "c"], &["formats"], 2),
            ],
            weights: vec![],
        }
    }

    const T0: i64 = 1_700_000_000_000;
    const DAY: i64 = fsrs::DAY_MS;

    fn items(c: &Catalog, id: &str) -> Vec<String> {
        c.lesson(id).unwrap().quiz_items.clone()
    }

    #[test]
    fn completion_needs_every_item_right_once() {
        let c = catalog();
        let mut p = Progress::new();
        let a = items(&c, "a");
        p.answer("a/q0", true, false, T0, 0, &a);
        p.answer("a/q1", false, false, T0 + 1, 0, &a);
        p.answer("a/q2", true, false, T0 + 2, 0, &a);
        assert!(!p.is_completed("a"));
        p.answer("a/q1", true, false, T0 + 3, 0, &a);
        assert_eq!(p.completed.get("a"), Some(&(T0 + 3)));
        // A later wrong answer does not un-complete it.
        p.answer("a/q0", false, false, T0 + 4, 0, &a);
        assert!(p.is_completed("a"));
    }

    #[test]
    fn mastery_is_m_of_the_last_n() {
        let c = catalog();
        let mut p = Progress::new();
        let a = items(&c, "a");
        let m = |p: &Progress| {
            p.mastery(&c)
                .into_iter()
                .find(|m| m.skill == "basics")
                .unwrap()
        };
        assert_eq!((m(&p).right, m(&p).window, m(&p).mastered), (0, 0, false));
        p.answer("a/q0", true, false, T0, 0, &a);
        p.answer("a/q1", true, false, T0 + 1, 0, &a);
        assert!(!m(&p).mastered);
        assert!((m(&p).level() - 2.0 / 3.0).abs() < 1e-12);
        p.answer("a/q2", true, false, T0 + 2, 0, &a);
        assert!(m(&p).mastered, "3 of 3 right");
        // Lesson b also teaches basics: its answers count towards the same window.
        let b = items(&c, "b");
        p.answer("b/q0", false, false, T0 + 3, 0, &b);
        p.answer("b/q1", false, false, T0 + 4, 0, &b);
        assert_eq!((m(&p).right, m(&p).window), (3, 5));
        assert!(m(&p).mastered, "3 of the last 5");
        p.answer("b/q0", false, false, T0 + 5, 0, &b);
        assert_eq!((m(&p).right, m(&p).window), (2, 5));
        assert!(!m(&p).mastered, "the oldest right answer left the window");
        assert_eq!(m(&p).attempts, 6);
        // formats only saw lesson b's three wrong answers; search nothing.
        let f = p
            .mastery(&c)
            .into_iter()
            .find(|m| m.skill == "formats")
            .unwrap();
        assert_eq!((f.right, f.window, f.attempts), (0, 3, 3));
    }

    #[test]
    fn review_queue_follows_the_schedule() {
        let c = catalog();
        let mut p = Progress::new();
        let a = items(&c, "a");
        p.answer("a/q0", true, false, T0, 0, &a);
        p.answer("a/q1", false, false, T0, 0, &a);
        assert!(p.due(T0).is_empty());
        // The wrong one comes back after the relearning step; the right one after ~3 days.
        let soon: Vec<_> = p.due(T0 + fsrs::RELEARN_MS).iter().map(|d| d.0).collect();
        assert_eq!(soon, vec!["a/q1"]);
        let later: Vec<_> = p.due(T0 + 4 * DAY).iter().map(|d| d.0).collect();
        assert_eq!(later, vec!["a/q1", "a/q0"], "most overdue first");
        assert_eq!(p.next_due(T0), Some(T0 + fsrs::RELEARN_MS));
        // Reviewing it right pushes it out again.
        p.answer("a/q0", true, true, T0 + 4 * DAY, 0, &a);
        assert!(p.due(T0 + 5 * DAY).iter().all(|d| d.0 != "a/q0"));
        assert!(p.attempts.last().unwrap().review);
    }

    #[test]
    fn streaks_count_local_days() {
        let mut p = Progress::new();
        // 23:30 and 00:30 local time in UTC+2 (offset −120) are different days…
        let late = T0 - T0.rem_euclid(DAY) + DAY - 2 * 3_600_000 - 30 * 60_000 + DAY;
        let d1 = local_day(late, -120);
        assert_eq!(local_day(late + 3_600_000, -120), d1 + 1);
        // …but the same UTC day.
        assert_eq!(local_day(late, 0), local_day(late + 3_600_000, 0));
        for d in [d1 - 5, d1 - 2, d1 - 1, d1] {
            p.days.insert(d);
        }
        assert_eq!(p.current_streak(d1), 3);
        assert_eq!(
            p.current_streak(d1 + 1),
            3,
            "today not yet active: yesterday's streak holds"
        );
        assert_eq!(p.current_streak(d1 + 2), 0);
        assert_eq!(p.longest_streak(), 3);
        assert_eq!(Progress::new().longest_streak(), 0);
    }

    #[test]
    fn recommendations_follow_prerequisites_and_skill_state() {
        let c = catalog();
        let mut p = Progress::new();
        let rec = |p: &Progress| -> Vec<(String, Reason)> {
            p.recommend(&c, 10)
                .into_iter()
                .map(|r| (r.lesson, r.reason))
                .collect()
        };
        assert_eq!(rec(&p), vec![("a".into(), Reason::Ready)]);
        p.open("a", T0);
        assert_eq!(rec(&p), vec![("a".into(), Reason::Continue)]);
        let a = items(&c, "a");
        for (i, it) in a.iter().enumerate() {
            p.answer(it, true, false, T0 + i as i64, 0, &a);
        }
        // b and c unlocked; d still needs both. basics is mastered, search untouched: c
        // (new skill) comes before b (whose basics is mastered but formats is new)? Both are
        // "Ready"; b teaches a new skill too, so catalog order decides.
        assert_eq!(
            rec(&p),
            vec![("b".into(), Reason::Ready), ("c".into(), Reason::Ready)]
        );
        // A wrong answer on b's items makes b a lesson to strengthen; opening c puts it first.
        let b = items(&c, "b");
        p.answer("b/q0", false, false, T0 + 10, 0, &b);
        p.open("c", T0 + 11);
        assert_eq!(
            rec(&p),
            vec![
                ("c".into(), Reason::Continue),
                ("b".into(), Reason::Strengthen)
            ]
        );
        assert_eq!(p.recommend(&c, 1).len(), 1);
    }

    #[test]
    fn merge_is_a_union_and_idempotent() {
        let c = catalog();
        let a = items(&c, "a");
        let mut x = Progress::new();
        x.answer("a/q0", true, false, T0, 0, &a);
        let mut y = Progress::new();
        y.answer("a/q0", false, false, T0 + DAY, 0, &a);
        y.answer("a/q1", true, false, T0 + DAY, 0, &a);
        y.open("a", T0 + DAY);
        let mut m = x.clone();
        m.merge(y.clone());
        assert_eq!(m.attempts.len(), 3);
        assert_eq!(m.cards["a/q0"], y.cards["a/q0"], "the later review wins");
        assert_eq!(m.days.len(), 2);
        let again = {
            let mut t = m.clone();
            t.merge(y.clone());
            t.merge(x.clone());
            t
        };
        assert_eq!(again, m);
    }

    #[test]
    fn old_records_load_and_migrate() {
        // A record from before the version field and before `opened` existed.
        let old: Progress = serde_json::from_str(
            r#"{"attempts":[{"item":"a/q0","at":5,"correct":true}],"days":[3]}"#,
        )
        .unwrap();
        assert_eq!(old.version, 0);
        let p = old.migrate();
        assert_eq!(p.version, PROGRESS_VERSION);
        assert_eq!(p.attempts[0].item, "a/q0");
        assert!(!p.attempts[0].review);
        assert!(p.opened.is_empty());
    }
}
