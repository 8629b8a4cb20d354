//! The store suite (store_suite) run against `RedisStore`, on the Redis at REDIS_URL (default
//! redis://127.0.0.1:6379), each test in its own namespace whose keys are deleted at the end
//! (`Ns`, the suite's Redis backend). The Redis-only examples are in store_redis_layout.rs
//! (Scalelite's key layout) and store_redis_trouble.rs (racing connections, leases, an
//! unreachable or mute Redis); the helpers they share are in store_suite/redis.rs.

use crate::store_suite::redis::Ns;

crate::store_suite::suite!(Ns);
