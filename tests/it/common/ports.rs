//! Loopback ports for the processes the tests start (gateways, metrics and TLS listeners,
//! redis-servers), free of collisions.
//!
//! Binding port 0 and releasing the port before the child binds it races: the kernel may hand the
//! same port to another test's bind(0) or outgoing connection in between, and a restarted gateway
//! may find its port taken. Three rules make that impossible instead:
//! - the ports come from a range below the kernel's ephemeral range (ip_local_port_range), so the
//!   kernel never gives one of them to a bind(0) or a connection, ours or anyone's;
//! - within this process a counter hands every port out once (a gateway keeps its port, and so
//!   its restarts, until it is dropped, and nobody else here gets it afterwards);
//! - across processes (two test runs at once) a port is claimed by an exclusive lock on a file
//!   named after it, held as long as the [`Port`] lives and released by the kernel when the
//!   process ends; a port still bound by anything (say a leftover process) is skipped.
//!
//! A scalelite that does not start anyway (say a foreign program took its port in the instant
//! between the check and the bind) is noticed: the gateway checks that the listener answering on
//! its port belongs to its own child (see `Gateway::launch`).

use std::fs::{File, OpenOptions};
use std::net::TcpListener;
use std::sync::atomic::{AtomicU32, Ordering};

/// The lowest port handed out; the range ends where the kernel's ephemeral range starts. Above
/// PostgreSQL's, Redis' and .ci/test.sh's throwaway ones (15432, 16379).
const FIRST: u16 = 20000;

/// A reserved loopback port: no other [`Port`] of this or another test process has the same
/// number while it lives.
#[derive(Debug)]
pub struct Port {
    number: u16,
    _lock: File,
}

impl Port {
    pub fn get(&self) -> u16 {
        self.number
    }
}

impl std::fmt::Display for Port {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.number.fmt(f)
    }
}

/// The start of the kernel's ephemeral port range.
fn ephemeral_start() -> u16 {
    std::fs::read_to_string("/proc/sys/net/ipv4/ip_local_port_range")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .unwrap_or(32768)
}

/// Reserve a port (see the module documentation).
pub fn free_port() -> Port {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    let end = ephemeral_start();
    assert!(
        end > FIRST + 1000,
        "the ephemeral port range starts at {end}: no room below it for test ports"
    );
    let span = u32::from(end - FIRST);
    // Each process starts at its own offset, so concurrent runs seldom even try the same port.
    let offset = std::process::id() % span;
    let dir = std::env::temp_dir().join("scalelite-test-ports");
    std::fs::create_dir_all(&dir).expect("port lock directory");
    for _ in 0..span {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let number = FIRST + ((offset + n) % span) as u16;
        let lock = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(number.to_string()))
            .expect("port lock file");
        if lock.try_lock().is_err() {
            continue; // another test process has it
        }
        if TcpListener::bind(("127.0.0.1", number)).is_err()
            || TcpListener::bind(("0.0.0.0", number)).is_err()
        {
            continue; // in use by something that does not take part in the locking
        }
        return Port {
            number,
            _lock: lock,
        };
    }
    panic!("no free test port in {FIRST}..{end}");
}

/// Whether process `pid` holds a socket listening on TCP `port` (any address): the inode of the
/// listener in /proc/net/tcp{,6} is one of the process' open files.
pub fn listens_on(pid: u32, port: u16) -> bool {
    let port_hex = format!(":{port:04X}");
    let mut inodes = Vec::new();
    for table in ["/proc/net/tcp", "/proc/net/tcp6"] {
        let text = std::fs::read_to_string(table).unwrap_or_default();
        for line in text.lines().skip(1) {
            let f: Vec<&str> = line.split_whitespace().collect();
            // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
            if f.len() > 9 && f[1].ends_with(&port_hex) && f[3] == "0A" {
                inodes.push(format!("socket:[{}]", f[9]));
            }
        }
    }
    let Ok(fds) = std::fs::read_dir(format!("/proc/{pid}/fd")) else {
        return false;
    };
    fds.filter_map(Result::ok)
        .filter_map(|e| std::fs::read_link(e.path()).ok())
        .any(|target| inodes.iter().any(|i| target.as_os_str() == i.as_str()))
}

/// The harness' own guarantees: distinct ports, each claimed against other processes, and the
/// listener check telling its holder from anyone else.
#[test]
fn ports_are_reserved_and_their_listener_identified() {
    let (a, b) = (free_port(), free_port());
    assert_ne!(a.get(), b.get());
    assert!((FIRST..ephemeral_start()).contains(&a.get()));
    let again = File::open(
        std::env::temp_dir()
            .join("scalelite-test-ports")
            .join(a.to_string()),
    )
    .expect("lock file");
    assert!(
        again.try_lock().is_err(),
        "a reserved port can be claimed twice"
    );
    assert!(!listens_on(std::process::id(), a.get()));
    let listener = TcpListener::bind(("127.0.0.1", a.get())).expect("bind a reserved port");
    assert!(listens_on(std::process::id(), a.get()));
    assert!(!listens_on(std::process::id(), b.get()));
    drop(listener);
    assert!(!listens_on(std::process::id(), a.get()));
}
