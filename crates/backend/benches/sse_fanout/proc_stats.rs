//! What the SSE benchmark reads about processes from `/proc`: CPU time (server, database, clients) and the
//! machine's load average, so that each row says how busy the shared cores were.

/// The 1-, 5- and 15-minute load averages (`/proc/loadavg`), as `uptime` prints them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "?".into())
}

/// CPU time (user + system) used so far by the server, the database (with its child processes) and this
/// process (the clients), from `/proc/<pid>/stat`.
pub struct CpuTimes {
    server: f64,
    db: f64,
    clients: f64,
}

impl CpuTimes {
    /// The CPU time used so far by `server`, `db` (with its children) and this process.
    pub fn now(server: u32, db: Option<u32>) -> Self {
        CpuTimes {
            server: cpu_secs(server),
            db: db.map_or(0.0, cpu_secs_with_children),
            clients: cpu_secs(std::process::id()),
        }
    }

    /// `server/db/clients` seconds used since `before`.
    pub fn since(&self, before: &CpuTimes) -> String {
        format!(
            "{:.2}/{:.2}/{:.2}",
            self.server - before.server,
            self.db - before.db,
            self.clients - before.clients
        )
    }
}

/// CPU seconds of one process (utime + stime; 100 ticks per second on Linux).
fn cpu_secs(pid: u32) -> f64 {
    let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
        return 0.0;
    };
    // Fields after the command name (which may contain spaces) start at the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 of the line, 12 and 13 after the name.
    (ticks(11) + ticks(12)) as f64 / 100.0
}

/// CPU seconds of a process and all its descendants still running.
fn cpu_secs_with_children(pid: u32) -> f64 {
    let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .filter_map(|c| c.parse().ok())
        .collect::<Vec<u32>>();
    cpu_secs(pid)
        + children
            .into_iter()
            .map(cpu_secs_with_children)
            .sum::<f64>()
}
