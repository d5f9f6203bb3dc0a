//! Per-host politeness shared by every task of a run: a token bucket, a cap
//! on requests in flight, a host-wide pause after 429/503, and the host's
//! robots.txt.

use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use tokio::sync::{OnceCell, Semaphore, SemaphorePermit};
use tokio::time::Instant;

use crate::model::CheckState;

/// Politeness state of one `host:port`.
pub struct Host {
    /// Parsed robots.txt, fetched once; `None` when robots are ignored.
    pub robots: OnceCell<Arc<robotxt::Robots>>,
    bucket: Mutex<Bucket>,
    slots: Semaphore,
    slot_cap: Mutex<u32>,
    paused_until: Mutex<Option<Instant>>,
}

struct Bucket {
    period: Duration,
    limiter: Arc<DefaultDirectRateLimiter>,
}

fn limiter(period: Duration, burst: u32) -> Arc<DefaultDirectRateLimiter> {
    let quota = Quota::with_period(period.max(Duration::from_micros(1)))
        .expect("period is positive")
        .allow_burst(NonZeroU32::new(burst.max(1)).expect("burst is positive"));
    Arc::new(RateLimiter::direct(quota))
}

/// Time between requests for a rate in requests per minute.
pub fn period_of(requests_per_minute: u32) -> Duration {
    Duration::from_secs(60) / requests_per_minute.max(1)
}

impl Host {
    /// A host allowing one request per `period` (bursts of `in_flight`)
    /// and `in_flight` requests at once.
    pub fn new(period: Duration, in_flight: u32) -> Host {
        let in_flight = in_flight.max(1);
        Host {
            robots: OnceCell::new(),
            bucket: Mutex::new(Bucket {
                period,
                limiter: limiter(period, in_flight),
            }),
            slots: Semaphore::new(in_flight as usize),
            slot_cap: Mutex::new(in_flight),
            paused_until: Mutex::new(None),
        }
    }

    /// Lowers the limits if `period` is longer or `in_flight` smaller than
    /// the current ones (a source file or Crawl-delay asking for less).
    /// Limits never rise again during a run.
    pub fn tighten(&self, period: Duration, in_flight: u32) {
        {
            let mut b = self.bucket.lock().expect("bucket lock");
            if period > b.period {
                // A slow host gets no bursts: one request per period.
                b.limiter = limiter(period, 1);
                b.period = period;
            }
        }
        let mut cap = self.slot_cap.lock().expect("slot lock");
        let want = in_flight.max(1);
        if want < *cap {
            // Only idle permits can be forgotten; busy ones shrink the cap later.
            let gone = self.slots.forget_permits((*cap - want) as usize) as u32;
            *cap -= gone;
        }
    }

    /// Stops every request to this host for `wait` (429/503 Retry-After).
    pub fn pause_for(&self, wait: Duration) {
        let until = Instant::now() + wait;
        let mut p = self.paused_until.lock().expect("pause lock");
        if p.is_none_or(|t| t < until) {
            *p = Some(until);
        }
    }

    /// Waits for a free slot, the end of any pause and a token. Gives up
    /// with `RateLimited` when the host is paused for longer than `max_wait`.
    pub async fn wait_turn(&self, max_wait: Duration) -> Result<SemaphorePermit<'_>, CheckState> {
        let permit = self
            .slots
            .acquire()
            .await
            .map_err(|_| CheckState::Error("shutting down".into()))?;
        loop {
            let until = *self.paused_until.lock().expect("pause lock");
            match until {
                Some(t) if t > Instant::now() => {
                    if t - Instant::now() > max_wait {
                        return Err(CheckState::RateLimited);
                    }
                    tokio::time::sleep_until(t).await;
                }
                _ => break,
            }
        }
        let limiter = self.bucket.lock().expect("bucket lock").limiter.clone();
        limiter.until_ready().await;
        Ok(permit)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn bucket_spaces_requests_after_the_burst() {
        let h = Host::new(Duration::from_millis(100), 2);
        let start = Instant::now();
        for _ in 0..4 {
            drop(h.wait_turn(Duration::from_secs(5)).await.unwrap());
        }
        // Two from the burst, then two more 100 ms apart.
        let took = start.elapsed();
        assert!(took >= Duration::from_millis(180), "{took:?}");
    }

    #[tokio::test]
    async fn long_pause_gives_up_and_tighten_lowers_slots() {
        let h = Host::new(Duration::from_millis(1), 4);
        h.pause_for(Duration::from_secs(60));
        assert_eq!(
            h.wait_turn(Duration::from_secs(1)).await.err(),
            Some(CheckState::RateLimited)
        );
        h.tighten(Duration::from_millis(1), 1);
        assert_eq!(*h.slot_cap.lock().unwrap(), 1);
        assert_eq!(h.slots.available_permits(), 1);
    }
}
