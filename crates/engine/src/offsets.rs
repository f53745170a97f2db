//! Low-water marks: the oldest offset of a partition whose message may still matter.
//!
//! A message matters while its event time is inside the partition's reach — newer than the
//! partition's clock minus (lateness + two windows), the span the correlator keeps — or while a
//! trigger still pending in the correlator may need it (anything newer than that trigger's time
//! minus a window and the lateness). The low-water mark is the offset of the oldest tracked message
//! that still matters; below it nothing does, so committing it loses nothing and a restart from it
//! rebuilds the same state.
//!
//! The partition's clock is the newest *plausible* event time: a message dated more than a day
//! past the wall clock *at the time it is read* does not move it (a forged far-future record would
//! otherwise push every other message out of reach). The wall clock is passed in with each message,
//! never fixed at start: a member that has run for days keeps a moving bound.
//!
//! Memory is bounded: past `max_tracked` entries the oldest are let go (the mark then moves past
//! messages that might still matter; this is the cap's documented cost).

use std::collections::VecDeque;

/// How far past the wall clock an event time may be and still move the partition's clock.
pub const MAX_CLOCK_LEAD_MS: i64 = 24 * 3600 * 1000;

/// The offsets of one partition and their event times, for its low-water mark.
#[derive(Debug, Clone)]
pub struct OffsetTracker {
    /// (offset, event time) of messages not yet behind the mark, in offset order.
    tracked: VecDeque<(i64, i64)>,
    max_time: i64,
    next: i64,
    lateness_ms: i64,
    max_window_ms: i64,
    max_tracked: usize,
}

impl OffsetTracker {
    pub fn new(lateness_ms: i64, max_window_ms: i64, max_tracked: usize) -> OffsetTracker {
        OffsetTracker {
            tracked: VecDeque::new(),
            max_time: i64::MIN,
            next: -1,
            lateness_ms,
            max_window_ms,
            max_tracked: max_tracked.max(1),
        }
    }

    /// Notes the message at `offset` (offsets increase), with its event time when it decoded to an
    /// event, read when the wall clock says `now_ms`.
    pub fn record(&mut self, offset: i64, time: Option<i64>, now_ms: i64) {
        if let Some(t) = time.filter(|&t| t <= now_ms.saturating_add(MAX_CLOCK_LEAD_MS)) {
            self.max_time = self.max_time.max(t);
        }
        // A message without an event (a bad record) matters as long as its neighbours do.
        let t = time.unwrap_or(self.max_time);
        self.tracked.push_back((offset, t));
        self.next = self.next.max(offset.saturating_add(1));
        while self.tracked.len() > self.max_tracked {
            self.tracked.pop_front();
        }
    }

    /// The offset after the last message recorded (-1 before any).
    pub fn next(&self) -> i64 {
        self.next
    }

    /// The partition's clock: the newest plausible event time (`i64::MIN` before any).
    pub fn max_time(&self) -> i64 {
        self.max_time
    }

    /// Messages tracked now.
    pub fn len(&self) -> usize {
        self.tracked.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tracked.is_empty()
    }

    /// The event time before which a message no longer matters, given the event time of the
    /// oldest trigger the correlator still holds undecided.
    pub fn cutoff(&self, oldest_pending: Option<i64>) -> i64 {
        let keep = self
            .lateness_ms
            .saturating_add(self.max_window_ms.saturating_mul(2));
        let mut cutoff = self.max_time.saturating_sub(keep);
        if let Some(t) = oldest_pending {
            cutoff =
                cutoff.min(t.saturating_sub(self.max_window_ms.saturating_add(self.lateness_ms)));
        }
        cutoff
    }

    /// The low-water mark (see the module docs); `next()` when nothing tracked still matters.
    /// Forgets the messages in front of it.
    pub fn low_water(&mut self, oldest_pending: Option<i64>) -> i64 {
        let cutoff = self.cutoff(oldest_pending);
        while let Some(&(_, t)) = self.tracked.front() {
            if t >= cutoff {
                break;
            }
            self.tracked.pop_front();
        }
        self.tracked.front().map_or(self.next, |&(o, _)| o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const W: i64 = 300_000;
    const DAY: i64 = 24 * 3600 * 1000;
    const T0: i64 = 1_700_000_000_000;

    #[test]
    fn a_far_future_record_does_not_move_the_clock() {
        let mut t = OffsetTracker::new(W, W, 1000);
        t.record(0, Some(T0), T0);
        t.record(1, Some(T0 + 30 * DAY), T0);
        assert_eq!(t.max_time(), T0);
        assert_eq!(t.low_water(None), 0);
    }

    /// Issue 17: the bound on plausible times was fixed at start, so after a day of uptime the clock
    /// stopped, the mark stopped and the tracked offsets grew without bound.
    #[test]
    fn regression_17_a_day_long_run_keeps_committing() {
        let mut t = OffsetTracker::new(W, W, usize::MAX);
        let mut last = -1;
        let mut offset = 0;
        // Three days, one message a second, each read the moment it happens.
        for s in (0..3 * DAY / 1000).step_by(1) {
            let now = T0 + s * 1000;
            t.record(offset, Some(now), now);
            offset += 1;
            if s % 3600 == 0 {
                let lw = t.low_water(None);
                assert!(lw >= last, "the mark never goes back");
                last = lw;
            }
        }
        let lw = t.low_water(None);
        assert!(
            lw > offset - (3 * W / 1000) - 2,
            "mark {lw} lags the head {offset}"
        );
        assert!(
            t.len() <= (3 * W / 1000) as usize + 2,
            "{} offsets held",
            t.len()
        );

        // What the member did before: the wall clock taken once, at start. After a day the clock
        // stops, and so does the mark.
        let mut stuck = OffsetTracker::new(W, W, usize::MAX);
        for (o, s) in (0..3 * DAY / 1000).step_by(60).enumerate() {
            stuck.record(o as i64, Some(T0 + s * 1000), T0);
        }
        assert_eq!(stuck.max_time(), T0 + DAY, "the clock stopped a day in");
        assert!(stuck.len() > 2000, "and offsets pile up: {}", stuck.len());
    }

    proptest! {
        /// No commit passes a message that still matters: every recorded message newer than the
        /// cutoff (the clock's reach, or what a pending trigger needs) is at or after the mark.
        #[test]
        fn no_mark_passes_a_message_that_still_matters(
            times in proptest::collection::vec(proptest::option::weighted(0.9, 0i64..4 * W), 1..300),
            pending in proptest::option::of(0i64..4 * W),
            checks in proptest::collection::vec(0usize..300, 0..10),
        ) {
            let mut t = OffsetTracker::new(W, W, usize::MAX);
            let mut seen: Vec<(i64, Option<i64>)> = Vec::new();
            let mut last = -1;
            for (i, time) in times.iter().enumerate() {
                let time = time.map(|x| T0 + x);
                t.record(i as i64, time, T0 + 4 * W);
                seen.push((i as i64, time));
                if checks.contains(&i) || i + 1 == times.len() {
                    let pending = pending.map(|p| T0 + p);
                    let cutoff = t.cutoff(pending);
                    let lw = t.low_water(pending);
                    prop_assert!(lw >= last || pending.is_some(), "the mark went back without a pending trigger");
                    last = lw;
                    for &(o, ti) in &seen {
                        if let Some(ti) = ti {
                            if ti >= cutoff {
                                prop_assert!(o >= lw, "offset {o} at {ti} still matters (cutoff {cutoff}) but the mark is {lw}");
                            }
                        }
                    }
                }
            }
        }

        /// The mark is always a real position: between the first recorded offset and the next one.
        #[test]
        fn the_mark_is_within_what_was_read(n in 1i64..500, pending in proptest::option::of(0i64..10 * W)) {
            let mut t = OffsetTracker::new(W, W, usize::MAX);
            for o in 0..n {
                t.record(o, Some(T0 + o * 1000), T0 + n * 1000);
            }
            let lw = t.low_water(pending.map(|p| T0 + p));
            prop_assert!((0..=n).contains(&lw));
        }
    }
}
