//! getRecordings filters and paging (§7.5).
use super::support::{both, imported, put, Kind, TestDb};
use crate::recordings::{get_recordings, RecordingFilter};

async fn ids_of(t: &TestDb, params: &[(&str, &str)]) -> Vec<String> {
    let f = RecordingFilter::from_params(params.iter().copied());
    let (recs, _) = get_recordings(&t.db, &f).await.unwrap();
    recs.into_iter().map(|r| r.record_id).collect()
}

async fn round_trip(kind: Kind) {
    let t = TestDb::new(kind).await;
    put(&t.db, &imported("r1", "m1", 1_700_000_000_123)).await;
    let (recs, total) = get_recordings(&t.db, &RecordingFilter::default())
        .await
        .unwrap();
    assert_eq!(total, 1);
    let r = &recs[0];
    assert_eq!((r.record_id.as_str(), r.meeting_id.as_str()), ("r1", "m1"));
    assert_eq!(r.start_time_ms, Some(1_700_000_000_123));
    assert_eq!(r.end_time_ms, Some(1_700_000_060_123));
    assert!(r.published && !r.protected);
    assert_eq!(r.formats[0].thumbnails[0].sequence, 0);
    assert_eq!(ids_of(&t, &[]).await.len(), 1);
}
both!(round_trip);
