//! The load of a BBB server, computed from one getMeetings answer.

use crate::bbb::xml::MeetingSummary;
use crate::config::PollerConfig;
use crate::store::ServerStats;

/// Load and statistics of one server. Breakout rooms count in the statistics but not in the
/// load (their users are also in the parent meeting). Young meetings weigh at least
/// LOAD_MIN_USER_COUNT, so a server is not flooded before the first users arrive.
///
/// Unlike Scalelite (quirk Q9) moderators are counted once: BBB's participantCount already
/// includes them.
pub fn compute(meetings: &[MeetingSummary], cfg: &PollerConfig, now_ms: u64) -> (f64, ServerStats) {
    let mut stats = ServerStats {
        meetings: meetings.len() as u64,
        ..Default::default()
    };
    let mut total = 0u64;
    let buffer_ms = cfg.load_join_buffer.as_millis() as u64;
    for m in meetings {
        stats.users += m.participant_count;
        stats.largest_meeting = stats.largest_meeting.max(m.participant_count);
        stats.videos += m.video_count;
        if m.is_breakout {
            continue;
        }
        let young = now_ms.saturating_sub(m.create_time_ms) < buffer_ms;
        total += if young {
            m.participant_count.max(cfg.load_min_user_count)
        } else {
            m.participant_count
        };
    }
    (total as f64, stats)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn cfg() -> PollerConfig {
        PollerConfig {
            interval: Duration::from_secs(60),
            concurrency: 4,
            wait_timeout: Duration::from_secs(10),
            healthy_threshold: 1,
            unhealthy_threshold: 2,
            load_min_user_count: 15,
            load_join_buffer: Duration::from_secs(15 * 60),
        }
    }

    fn m(participants: u64, moderators: u64, breakout: bool, created: u64) -> MeetingSummary {
        MeetingSummary {
            participant_count: participants,
            moderator_count: moderators,
            video_count: 1,
            is_breakout: breakout,
            create_time_ms: created,
            ..Default::default()
        }
    }

    #[test]
    fn old_meetings_count_participants_once() {
        let now = 100 * 60 * 1000;
        let (load, stats) = compute(&[m(20, 2, false, 0), m(5, 1, true, 0)], &cfg(), now);
        assert_eq!(load, 20.0);
        assert_eq!(
            stats,
            ServerStats {
                meetings: 2,
                users: 25,
                largest_meeting: 20,
                videos: 2
            }
        );
    }

    #[test]
    fn young_meetings_weigh_at_least_the_minimum() {
        let now = 100 * 60 * 1000;
        let (load, _) = compute(
            &[m(3, 1, false, now - 1000), m(30, 1, false, now - 1000)],
            &cfg(),
            now,
        );
        assert_eq!(load, 45.0);
    }
}
