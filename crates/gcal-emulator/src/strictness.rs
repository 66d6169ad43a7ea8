//! Switches for Google's unfriendly listing habits, which a sync engine must survive: pages that are not full
//! although more follow, and cancelled instances of a series sent as bare `{kind, etag, id, status}` (no
//! `recurringEventId` / `originalStartTime`). Google-like by default; [`ListingBehaviour::exact`] turns both off and a
//! fixed `seed` makes the short pages the same on every run.

/// How listings (events.list) shape their pages and cancelled entries. Part of [`crate::EmulatorConfig`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ListingBehaviour {
    /// Pages before the last may hold fewer items than `maxResults` (between half and all of it), like Google's.
    pub short_pages: bool,
    /// In incremental sync, cancelled instances (exceptions) of a series are listed as only `{kind, etag, id,
    /// status: "cancelled"}`, like Google often does; off: they also carry `recurringEventId` and
    /// `originalStartTime`.
    pub sparse_cancelled_instances: bool,
    /// Seed of the short-page sizes; `None` picks a random one per start or reset. With a seed, the same requests
    /// on the same data get the same page sizes (deterministic tests).
    pub seed: Option<u64>,
}

impl ListingBehaviour {
    /// Google's habits: short pages (random sizes) and sparse cancelled instances. The default.
    pub fn google_like() -> Self {
        Self {
            short_pages: true,
            sparse_cancelled_instances: true,
            seed: None,
        }
    }

    /// Full pages and detailed cancelled instances: the kindest listing, for tests that count items per page.
    pub fn exact() -> Self {
        Self {
            short_pages: false,
            sparse_cancelled_instances: false,
            seed: Some(0),
        }
    }

    /// How many items the page that starts at `position` holds at most, for `max_results` asked.
    pub(crate) fn page_capacity(&self, seed: u64, max_results: usize, position: u64) -> usize {
        if !self.short_pages || max_results <= 1 {
            return max_results;
        }
        // splitmix64: a well-mixed, reproducible number per (seed, position).
        let mut z = seed ^ position.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        let half = max_results.div_ceil(2);
        let span = u64::try_from(max_results - half + 1).unwrap_or(1);
        half + usize::try_from(z % span).unwrap_or(0)
    }
}

impl Default for ListingBehaviour {
    fn default() -> Self {
        Self::google_like()
    }
}

#[cfg(test)]
mod tests {
    use super::ListingBehaviour;

    #[test]
    fn short_pages_stay_between_half_and_full_and_repeat_for_a_seed() {
        let b = ListingBehaviour::google_like();
        let sizes: Vec<usize> = (0..200).map(|p| b.page_capacity(7, 10, p)).collect();
        assert!(sizes.iter().all(|s| (5..=10).contains(s)));
        assert!(sizes.iter().any(|s| *s < 10), "some pages are short");
        let again: Vec<usize> = (0..200).map(|p| b.page_capacity(7, 10, p)).collect();
        assert_eq!(sizes, again);
        assert_eq!(ListingBehaviour::exact().page_capacity(7, 10, 3), 10);
        assert_eq!(b.page_capacity(7, 1, 3), 1);
    }
}
