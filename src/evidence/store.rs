//! The SQLite evidence store.
//!
//! One file (default `.fixops/fixops.db`), created on first use, migrated
//! forward on open, in WAL mode with a busy timeout so that two pipeline jobs
//! writing one store both succeed. Each run is recorded in one `BEGIN
//! IMMEDIATE` transaction: a failed run leaves nothing behind. Runs form a
//! hash chain: each run's hash covers the previous run's hash and a digest of
//! everything recorded for the run, so an edited or deleted row is detected
//! by [`Store::verify_chain`].

use crate::error::{Error, Result};
use crate::evidence::window::{Ignored, Shape, Window};
use crate::ingest::Txt;
use crate::run::Run;
use crate::task::Task;
use crate::verdict::Verdict;
use rusqlite::{Connection, OptionalExtension, params};
use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Schema migrations, applied in order; index + 1 is the schema version.
/// `run_blobs.data` and `lifecycle_state.data` hold LZ4-compressed JSON;
/// `run_blobs.sha256` is the digest of the stored bytes.
const MIGRATIONS: &[&str] = &[
    // v1
    "CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        project TEXT NOT NULL,
        branch TEXT,
        time TEXT NOT NULL,
        command TEXT NOT NULL,
        verdict TEXT,
        exit_code INTEGER,
        findings INTEGER NOT NULL,
        components INTEGER NOT NULL,
        statements INTEGER NOT NULL,
        policy_digest TEXT,
        content_digest TEXT NOT NULL,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE
    );
    CREATE INDEX runs_project ON runs(project, branch, id);
    CREATE TABLE inputs (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        idx INTEGER NOT NULL,
        path TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        format TEXT NOT NULL,
        spec_version TEXT NOT NULL,
        producers TEXT NOT NULL,
        findings INTEGER NOT NULL,
        components INTEGER NOT NULL,
        relationships INTEGER NOT NULL,
        statements INTEGER NOT NULL,
        PRIMARY KEY (run_id, idx)
    ) WITHOUT ROWID;
    CREATE TABLE run_blobs (
        run_id INTEGER NOT NULL REFERENCES runs(id),
        kind TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (run_id, kind)
    ) WITHOUT ROWID;",
    // v2: threat-intelligence snapshots
    "CREATE TABLE intel_snapshots (
        id INTEGER PRIMARY KEY,
        source TEXT NOT NULL,
        version TEXT,
        date TEXT,
        fetched_at TEXT NOT NULL,
        origin TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        entries INTEGER NOT NULL,
        UNIQUE (source, sha256)
    );
    CREATE TABLE kev (
        snapshot_id INTEGER NOT NULL REFERENCES intel_snapshots(id),
        cve TEXT NOT NULL,
        date_added TEXT NOT NULL,
        due_date TEXT,
        ransomware INTEGER NOT NULL,
        vendor TEXT,
        product TEXT,
        name TEXT,
        cwes TEXT NOT NULL,
        PRIMARY KEY (snapshot_id, cve)
    ) WITHOUT ROWID;
    CREATE TABLE epss (
        snapshot_id INTEGER NOT NULL REFERENCES intel_snapshots(id),
        cve TEXT NOT NULL,
        epss REAL NOT NULL,
        percentile REAL NOT NULL,
        PRIMARY KEY (snapshot_id, cve)
    ) WITHOUT ROWID;",
    // v3: issue lifecycle per project and branch
    "CREATE TABLE lifecycle_state (
        project TEXT NOT NULL,
        branch TEXT NOT NULL,
        data BLOB NOT NULL,
        PRIMARY KEY (project, branch)
    ) WITHOUT ROWID;
    CREATE TABLE fix_durations (
        project TEXT NOT NULL,
        severity TEXT NOT NULL,
        identity TEXT NOT NULL,
        fixed_run INTEGER NOT NULL,
        days REAL NOT NULL,
        PRIMARY KEY (project, identity, fixed_run)
    ) WITHOUT ROWID;",
    // v4: blob tables with rowids, so that blobs are written and read with
    // incremental blob I/O (see `insert_blob`); rows are copied as they are.
    "CREATE TABLE run_blobs_v4 (
        id INTEGER PRIMARY KEY,
        run_id INTEGER NOT NULL REFERENCES runs(id),
        kind TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        data BLOB NOT NULL,
        UNIQUE (run_id, kind)
    );
    INSERT INTO run_blobs_v4 (run_id, kind, sha256, data)
        SELECT run_id, kind, sha256, data FROM run_blobs ORDER BY run_id, kind;
    DROP TABLE run_blobs;
    ALTER TABLE run_blobs_v4 RENAME TO run_blobs;
    CREATE TABLE lifecycle_state_v4 (
        id INTEGER PRIMARY KEY,
        project TEXT NOT NULL,
        branch TEXT NOT NULL,
        data BLOB NOT NULL,
        UNIQUE (project, branch)
    );
    INSERT INTO lifecycle_state_v4 (project, branch, data)
        SELECT project, branch, data FROM lifecycle_state ORDER BY project, branch;
    DROP TABLE lifecycle_state;
    ALTER TABLE lifecycle_state_v4 RENAME TO lifecycle_state;",
    // v5: no table changes. New runs' findings and issues blobs, and the
    // lifecycle states written from now on, hold tables and rows (see
    // `write_findings`, `write_issues`, `LifecycleState`), which fixops
    // before this version cannot read: the version makes it refuse the
    // store with a clear message rather than call it corrupt. Rows written
    // before are still read.
    "-- blob layouts with tables (no schema change)",
];

/// The hash the first run chains to.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// An open store.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

/// A recorded run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recorded {
    /// Row id.
    pub run_id: i64,
    /// Chain hash.
    pub hash: String,
}

/// A run row, as listed by [`Store::runs`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RunRow {
    /// Row id.
    pub id: i64,
    /// Project key.
    pub project: String,
    /// Branch.
    pub branch: Option<String>,
    /// Time.
    pub time: String,
    /// Command.
    pub command: String,
    /// Verdict, for `decide` runs.
    pub verdict: Option<String>,
    /// Number of findings.
    pub findings: i64,
    /// Chain hash.
    pub hash: String,
}

impl Store {
    /// Open (creating directories and the file if needed) and migrate.
    pub fn open(path: &Path) -> Result<Store> {
        let err = |message: String| Error::Store {
            path: path.to_path_buf(),
            message,
        };
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            create_private_dir(dir)
                .map_err(|e| err(format!("cannot create directory {}: {e}", dir.display())))?;
        }
        let existed = path.exists();
        let conn = Connection::open(path).map_err(|e| err(format!("cannot open: {e}")))?;
        if !existed {
            restrict_permissions(path);
        }
        conn.busy_timeout(Duration::from_secs(30))
            .map_err(|e| err(e.to_string()))?;
        if !existed {
            // Runs are stored as a few large blobs: 64 KiB pages write a 200k
            // finding run in ~450 WAL frames instead of ~7000, with as many
            // fewer system calls on commit and checkpoint. SQLite only
            // applies it before the first table is created.
            conn.pragma_update(None, "page_size", 65536)
                .map_err(|e| err(e.to_string()))?;
        }
        let mut store = Store {
            conn,
            path: path.to_path_buf(),
        };
        // Two processes creating one store at once can both ask for WAL;
        // SQLite reports the loser busy without waiting (the busy handler
        // is skipped where waiting could deadlock), so retry here.
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        loop {
            match store.conn.pragma_update(None, "journal_mode", "WAL") {
                Ok(()) => break,
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if matches!(
                        f.code,
                        rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked
                    ) && std::time::Instant::now() < deadline =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) => {
                    return Err(err(format!(
                        "cannot enable WAL (is this an SQLite database?): {e}"
                    )));
                }
            }
        }
        store
            .conn
            .pragma_update(None, "synchronous", "NORMAL")
            .map_err(|e| err(e.to_string()))?;
        store
            .conn
            .pragma_update(None, "foreign_keys", "ON")
            .map_err(|e| err(e.to_string()))?;
        store.migrate()?;
        Ok(store)
    }

    fn err(&self, e: impl std::fmt::Display) -> Error {
        Error::Store {
            path: self.path.clone(),
            message: e.to_string(),
        }
    }

    fn migrate(&mut self) -> Result<()> {
        let path = self.path.clone();
        let err = |e: rusqlite::Error| Error::Store {
            path: path.clone(),
            message: format!("migration failed: {e}"),
        };
        // A store already at this version is opened without the write
        // lock: a reader (`runs`, `verify`) or a `decide` that has yet to
        // record does not wait for another process's recording.
        let current: i64 = self
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        if current as usize == MIGRATIONS.len() {
            return Ok(());
        }
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(err)?;
        let version: i64 = tx
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .map_err(err)?;
        if version as usize > MIGRATIONS.len() {
            return Err(Error::Store {
                path: self.path.clone(),
                message: format!(
                    "schema version {version} is newer than this fixops understands ({}); upgrade fixops",
                    MIGRATIONS.len()
                ),
            });
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
            tx.execute_batch(sql).map_err(err)?;
            tx.pragma_update(None, "user_version", (i + 1) as i64)
                .map_err(err)?;
        }
        tx.commit().map_err(err)
    }

    /// Record a run and (for `decide`) its verdict in one transaction.
    pub fn record(
        &mut self,
        run: &Run,
        verdict: Option<&Verdict>,
        lifecycle: Option<&crate::lifecycle::LifecycleUpdate>,
    ) -> Result<Recorded> {
        let findings = EncodedFindings::encode(run).map_err(|m| Error::Store {
            path: self.path.clone(),
            message: m,
        })?;
        self.record_encoded(run, findings, verdict, lifecycle, None, || Ok(()))
    }

    /// [`Store::record`] with the findings already encoded (by
    /// [`EncodedFindings::encode`] on another core while the gate ran), the
    /// next lifecycle state perhaps too (by [`Store::encode_state_ahead`]:
    /// used if no run was recorded since, else encoded again from the state
    /// read under the lock), and
    /// `before_commit` called inside the transaction after everything is
    /// written and before it commits. When it fails, nothing is recorded and
    /// its error is returned: `decide` writes its report meanwhile (on
    /// another core) and joins it here, so that a run whose report could not
    /// be produced is not recorded.
    ///
    /// Each blob is written as soon as it is encoded and freed once written,
    /// so a large run's blobs are not all resident at once (the findings are
    /// written while the issues and the next lifecycle state are encoded on
    /// other cores). The run's row is written first, and its content digest
    /// and chain hash, which cover every blob's digest, last.
    pub fn record_encoded(
        &mut self,
        run: &Run,
        findings: EncodedFindings,
        verdict: Option<&Verdict>,
        lifecycle: Option<&crate::lifecycle::LifecycleUpdate>,
        ahead: Option<StateAhead>,
        before_commit: impl FnOnce() -> Result<()>,
    ) -> Result<Recorded> {
        if findings.count != run.findings.len() {
            return Err(self.err(format!(
                "encoded findings are of another run ({} findings, the run has {})",
                findings.count,
                run.findings.len()
            )));
        }
        let path = self.path.clone();
        let failed = |message: String| Error::Store {
            path: path.clone(),
            message: format!("recording the run failed, nothing was written: {message}"),
        };
        let e = |e: rusqlite::Error| failed(e.to_string());
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        // The stored lifecycle state is read under the write lock: no other
        // run can change it before this one commits, so concurrent runs
        // merge rather than overwrite.
        let m = &run.meta;
        let branch = m.branch.as_deref().unwrap_or("");
        let prev = last_hash(&tx).map_err(e)?;
        // A state encoded ahead is of the state stored after the last run
        // then; if that is still the last run, nothing changed it since.
        let ahead = lifecycle
            .and(ahead)
            .filter(|a| a.after == prev)
            .map(|a| a.data);
        let state = match lifecycle {
            Some(u) if ahead.is_none() => {
                let issues = verdict.map(|v| &v.issues[..]);
                let new = u.new_entries(issues).map_err(&failed)?;
                Some((read_state(&tx, &m.project, branch).map_err(&failed)?, new))
            }
            _ => None,
        };
        // Digest and hash are set once every blob is written (the empty
        // hash is never committed).
        tx.execute(
            "INSERT INTO runs (project, branch, time, command, verdict, exit_code, findings, components,
                               statements, policy_digest, content_digest, prev_hash, hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, '', ?11, '')",
            params![
                m.project,
                m.branch,
                m.time,
                m.command,
                verdict.map(|v| v.verdict.as_str()),
                verdict.map(|v| v.exit_code),
                run.findings.len() as i64,
                run.components.len() as i64,
                run.statements.len() as i64,
                verdict.map(|v| v.policy.digest.as_str()),
                prev,
            ],
        )
        .map_err(e)?;
        let run_id = tx.last_insert_rowid();
        insert_inputs(&tx, run_id, run).map_err(e)?;
        let mut digests = std::thread::scope(|scope| {
            // The two large blobs besides the findings, the next lifecycle
            // state and the issues, are encoded on other cores while the
            // findings are written, each into a temporary file beside the
            // store until it is written in turn.
            let db = path.as_path();
            let next_state = state.as_ref().zip(lifecycle).map(|((bytes, new), u)| {
                Task::start(scope, "fixops-state", move || {
                    encode_next_state(bytes, m, u, new, Packed::beside(db))
                })
            });
            let issues = verdict.map(|v| {
                Task::start(scope, "fixops-issues", move || {
                    pack_piped(Packed::beside(db), |w| write_issues(w, v.issue_records())).map(
                        |d| {
                            let digest = d.digest();
                            ("issues", d, digest)
                        },
                    )
                })
            });
            let mut st = tx
                .prepare(
                    "INSERT INTO run_blobs (run_id, kind, sha256, data) VALUES (?1, ?2, ?3, ?4)",
                )
                .map_err(e)?;
            let mut digests: Vec<(&'static str, String)> = Vec::new();
            let mut put = |(kind, data, digest): Blob| -> Result<()> {
                insert_blob(
                    &tx,
                    &mut st,
                    params![run_id, kind, digest],
                    "run_blobs",
                    &data,
                )
                .map_err(e)?;
                digests.push((kind, digest));
                Ok(())
            };
            put(("findings", findings.data, findings.digest))?;
            // The small blobs are encoded here while the issues are still
            // being encoded on other cores; the issues are written last.
            // (The content digest takes the digests in `BLOB_ORDER`
            // whatever the order the blobs are written in.)
            for kind in BLOB_ORDER {
                if let Some(blob) = encode_blob(kind, run, verdict) {
                    put(blob.map_err(&failed)?)?;
                }
            }
            if let Some(h) = issues {
                let blob = h
                    .join()
                    .unwrap_or_else(|_| Err("encoding the issues failed".into()));
                put(blob.map_err(&failed)?)?;
            }
            let next_state = match (ahead, next_state) {
                (Some(data), _) => Some(Ok(data)),
                (None, Some(h)) => Some(
                    h.join()
                        .unwrap_or_else(|_| Err("encoding the lifecycle state failed".into())),
                ),
                (None, None) => None,
            };
            if let (Some(data), Some(u)) = (next_state, lifecycle) {
                let data = data.map_err(&failed)?;
                write_lifecycle(&tx, run_id, m, u, &data).map_err(|m| Error::Store {
                    path: path.clone(),
                    message: format!("recording the lifecycle failed, nothing was written: {m}"),
                })?;
            }
            Ok::<_, Error>(digests)
        })?;
        digests.sort_by_key(|(kind, _)| BLOB_ORDER.iter().position(|k| k == kind));
        let inputs: Vec<(String, String)> = run
            .inputs
            .iter()
            .map(|i| (i.path.to_string_lossy().into_owned(), i.sha256.clone()))
            .collect();
        let blob_digests: Vec<(&str, &str)> =
            digests.iter().map(|(k, d)| (*k, d.as_str())).collect();
        let content_digest = content_digest(
            m,
            verdict.map(|v| (v.verdict.as_str(), v.policy.digest.as_str())),
            &inputs,
            &blob_digests,
        );
        let hash = chain_hash(&prev, &content_digest);
        tx.execute(
            "UPDATE runs SET content_digest = ?1, hash = ?2 WHERE id = ?3",
            params![content_digest, hash, run_id],
        )
        .map_err(e)?;
        // Dropping the transaction on failure rolls it back.
        before_commit()?;
        tx.commit().map_err(e)?;
        Ok(Recorded { run_id, hash })
    }

    /// Runs, newest first, optionally for one project.
    pub fn runs(&self, project: Option<&str>, limit: usize) -> Result<Vec<RunRow>> {
        let mut st = self
            .conn
            .prepare(
                "SELECT id, project, branch, time, command, verdict, findings, hash FROM runs
                 WHERE ?1 IS NULL OR project = ?1 ORDER BY id DESC LIMIT ?2",
            )
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map(params![project, limit as i64], |r| {
                Ok(RunRow {
                    id: r.get(0)?,
                    project: r.get(1)?,
                    branch: r.get(2)?,
                    time: r.get(3)?,
                    command: r.get(4)?,
                    verdict: r.get(5)?,
                    findings: r.get(6)?,
                    hash: r.get(7)?,
                })
            })
            .map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(|e| self.err(e))
    }

    /// Number of finding rows recorded for a run.
    pub fn finding_count(&self, run_id: i64) -> Result<i64> {
        self.conn
            .query_row(
                "SELECT count(*) FROM findings WHERE run_id = ?1",
                [run_id],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// Check every run's `prev_hash` links to its predecessor and every
    /// `hash` recomputes from its `prev_hash` and content digest. Returns the
    /// number of runs checked, or the id of the first broken link.
    pub fn verify_chain(&self) -> Result<std::result::Result<usize, i64>> {
        let e = |x: rusqlite::Error| self.err(x);
        let mut st = self
            .conn
            .prepare(
                "SELECT id, project, branch, time, command, verdict, policy_digest, content_digest, prev_hash, hash
                 FROM runs ORDER BY id",
            )
            .map_err(e)?;
        let mut inputs_q = self
            .conn
            .prepare("SELECT path, sha256 FROM inputs WHERE run_id = ?1 ORDER BY idx")
            .map_err(e)?;
        let mut blobs_q = self
            .conn
            .prepare("SELECT kind, sha256, data FROM run_blobs WHERE run_id = ?1")
            .map_err(e)?;
        let mut rows = st.query([]).map_err(e)?;
        let mut prev = GENESIS.to_string();
        let mut n = 0;
        while let Some(r) = rows.next().map_err(e)? {
            let id: i64 = r.get(0).map_err(e)?;
            let meta = crate::run::RunMeta {
                project: r.get(1).map_err(e)?,
                branch: r.get(2).map_err(e)?,
                time: r.get(3).map_err(e)?,
                command: r.get(4).map_err(e)?,
            };
            let verdict: Option<String> = r.get(5).map_err(e)?;
            let policy: Option<String> = r.get(6).map_err(e)?;
            let digest: String = r.get(7).map_err(e)?;
            let prev_hash: String = r.get(8).map_err(e)?;
            let hash: String = r.get(9).map_err(e)?;
            let inputs: Vec<(String, String)> = inputs_q
                .query_map([id], |r| Ok((r.get(0)?, r.get(1)?)))
                .map_err(e)?
                .collect::<std::result::Result<_, _>>()
                .map_err(e)?;
            // Blobs in the order they were written: findings first, then the rest.
            let mut blobs: Vec<(String, String)> = Vec::new();
            let mut intact = true;
            let rows_b = blobs_q
                .query_map([id], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                    ))
                })
                .map_err(e)?;
            for b in rows_b {
                let (kind, sha, data) = b.map_err(e)?;
                intact &= hex::encode(Sha256::digest(&data)) == sha;
                blobs.push((kind, sha));
            }
            blobs.sort_by_key(|(k, _)| BLOB_ORDER.iter().position(|x| x == k));
            let blob_refs: Vec<(&str, &str)> = blobs
                .iter()
                .map(|(k, s)| (k.as_str(), s.as_str()))
                .collect();
            let recomputed = content_digest(
                &meta,
                verdict.as_deref().zip(policy.as_deref()),
                &inputs,
                &blob_refs,
            );
            if !intact
                || recomputed != digest
                || prev_hash != prev
                || chain_hash(&prev_hash, &digest) != hash
            {
                return Ok(Err(id));
            }
            prev = hash;
            n += 1;
        }
        Ok(Ok(n))
    }
}

/// A stored intelligence snapshot.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Snapshot {
    /// Row id (`--intel-snapshot`).
    pub id: i64,
    /// `kev` or `epss`.
    pub source: String,
    /// Catalog or model version.
    pub version: Option<String>,
    /// Release or score date.
    pub date: Option<String>,
    /// When it was imported or fetched.
    pub fetched_at: String,
    /// File path or URL it came from.
    pub origin: String,
    /// SHA-256 of the file.
    pub sha256: String,
    /// Number of entries.
    pub entries: i64,
}

/// Outcome of importing a feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Imported {
    /// Stored as a new snapshot.
    New(Snapshot),
    /// The same bytes were already stored.
    Existing(Snapshot),
}

impl Store {
    /// Store a feed snapshot (one transaction; identical bytes are stored once).
    pub fn import_feed(
        &mut self,
        feed: &crate::ingest::feeds::Feed,
        origin: &str,
        fetched_at: &str,
    ) -> Result<Imported> {
        let source = feed.source.as_str();
        if let Some(s) = self.snapshot_by_digest(source, &feed.sha256)? {
            return Ok(Imported::Existing(s));
        }
        let path = self.path.clone();
        let e = |e: rusqlite::Error| Error::Store {
            path: path.clone(),
            message: format!("importing the {source} snapshot failed, nothing was written: {e}"),
        };
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(e)?;
        tx.execute(
            "INSERT INTO intel_snapshots (source, version, date, fetched_at, origin, sha256, entries)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![source, feed.version, feed.date, fetched_at, origin, feed.sha256, feed.len() as i64],
        )
        .map_err(e)?;
        let id = tx.last_insert_rowid();
        {
            let mut st = tx
                .prepare("INSERT OR REPLACE INTO kev VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)")
                .map_err(e)?;
            for k in &feed.kev {
                st.execute(params![
                    id,
                    k.cve,
                    k.date_added,
                    k.due_date,
                    k.ransomware as i64,
                    k.vendor,
                    k.product,
                    k.name,
                    k.cwes.join(",")
                ])
                .map_err(e)?;
            }
            let mut st = tx
                .prepare("INSERT OR REPLACE INTO epss VALUES (?1, ?2, ?3, ?4)")
                .map_err(e)?;
            for r in &feed.epss {
                st.execute(params![id, feed.cves[r.cve as usize], r.epss, r.percentile])
                    .map_err(e)?;
            }
        }
        tx.commit().map_err(e)?;
        let snap = self
            .snapshot(id)?
            .ok_or_else(|| self.err("snapshot vanished after import"))?;
        Ok(Imported::New(snap))
    }

    fn snapshot_by_digest(&self, source: &str, sha256: &str) -> Result<Option<Snapshot>> {
        let id: Option<i64> = self
            .conn
            .query_row(
                "SELECT id FROM intel_snapshots WHERE source = ?1 AND sha256 = ?2",
                params![source, sha256],
                |r| r.get(0),
            )
            .optional()
            .map_err(|e| self.err(e))?;
        match id {
            Some(id) => self.snapshot(id),
            None => Ok(None),
        }
    }

    /// One snapshot by id.
    pub fn snapshot(&self, id: i64) -> Result<Option<Snapshot>> {
        self.conn
            .query_row(
                "SELECT id, source, version, date, fetched_at, origin, sha256, entries FROM intel_snapshots WHERE id = ?1",
                [id],
                snapshot_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// All snapshots, newest first.
    pub fn snapshots(&self) -> Result<Vec<Snapshot>> {
        let mut st = self
            .conn
            .prepare("SELECT id, source, version, date, fetched_at, origin, sha256, entries FROM intel_snapshots ORDER BY id DESC")
            .map_err(|e| self.err(e))?;
        let rows = st.query_map([], snapshot_row).map_err(|e| self.err(e))?;
        rows.collect::<std::result::Result<_, _>>()
            .map_err(|e| self.err(e))
    }
}

/// CVE ids per `IN (...)` query when loading intelligence for a set of CVEs.
const CVE_BATCH: usize = 500;

/// One EPSS score as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct EpssRow {
    /// CVE id.
    pub cve: String,
    /// Probability of exploitation activity in the next 30 days.
    pub epss: f64,
    /// Percentile among scored CVEs.
    pub percentile: f64,
}

/// The rows of one KEV and one EPSS snapshot, as [`Store::load_intel`] reads them.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct IntelRows {
    /// The KEV snapshot and its entries, when one exists.
    pub kev: Option<(Snapshot, Vec<crate::ingest::feeds::KevEntry>)>,
    /// The EPSS snapshot and its scores, when one exists.
    pub epss: Option<(Snapshot, Vec<EpssRow>)>,
}

impl Store {
    /// The newest snapshot of `source` (`kev` or `epss`): latest release or
    /// score date, then latest import.
    pub fn newest_snapshot(&self, source: &str) -> Result<Option<Snapshot>> {
        self.conn
            .query_row(
                "SELECT id, source, version, date, fetched_at, origin, sha256, entries FROM intel_snapshots
                 WHERE source = ?1 ORDER BY COALESCE(date, fetched_at) DESC, id DESC LIMIT 1",
                [source],
                snapshot_row,
            )
            .optional()
            .map_err(|e| self.err(e))
    }

    /// Load one KEV and one EPSS snapshot: the given ids, or the newest of
    /// each. With `cves`, only those CVEs' rows are read, `CVE_BATCH` ids
    /// per query; without, the whole snapshot. A given id that does not exist
    /// or belongs to the other source is an error.
    pub fn load_intel(
        &self,
        kev_snapshot: Option<i64>,
        epss_snapshot: Option<i64>,
        cves: Option<&[String]>,
    ) -> Result<IntelRows> {
        let kev = match self.pick_snapshot("kev", kev_snapshot)? {
            Some(s) => {
                let rows = self.select_by_cve(
                    "SELECT cve, date_added, due_date, ransomware, vendor, product, name, cwes FROM kev WHERE snapshot_id = ?1",
                    s.id,
                    cves,
                    |r| {
                        let cwes: String = r.get(7)?;
                        Ok(crate::ingest::feeds::KevEntry {
                            cve: r.get(0)?,
                            date_added: r.get(1)?,
                            due_date: r.get(2)?,
                            ransomware: r.get::<_, i64>(3)? != 0,
                            vendor: r.get(4)?,
                            product: r.get(5)?,
                            name: r.get(6)?,
                            cwes: cwes
                                .split(',')
                                .filter(|c| !c.is_empty())
                                .map(str::to_string)
                                .collect(),
                        })
                    },
                )?;
                Some((s, rows))
            }
            None => None,
        };
        let epss = match self.pick_snapshot("epss", epss_snapshot)? {
            Some(s) => {
                let rows = self.select_by_cve(
                    "SELECT cve, epss, percentile FROM epss WHERE snapshot_id = ?1",
                    s.id,
                    cves,
                    |r| {
                        Ok(EpssRow {
                            cve: r.get(0)?,
                            epss: r.get(1)?,
                            percentile: r.get(2)?,
                        })
                    },
                )?;
                Some((s, rows))
            }
            None => None,
        };
        Ok(IntelRows { kev, epss })
    }

    fn pick_snapshot(&self, source: &str, id: Option<i64>) -> Result<Option<Snapshot>> {
        let Some(id) = id else {
            return self.newest_snapshot(source);
        };
        match self.snapshot(id)? {
            Some(s) if s.source == source => Ok(Some(s)),
            Some(s) => Err(self.err(format!(
                "snapshot {id} is from the {} feed, not {source}; see `fixops feeds list`",
                s.source
            ))),
            None => Err(self.err(format!(
                "no intelligence snapshot {id}; see `fixops feeds list`"
            ))),
        }
    }

    fn select_by_cve<T>(
        &self,
        base: &str,
        snapshot_id: i64,
        cves: Option<&[String]>,
        row: impl Fn(&rusqlite::Row<'_>) -> rusqlite::Result<T>,
    ) -> Result<Vec<T>> {
        let e = |e: rusqlite::Error| self.err(e);
        let mut out = Vec::new();
        let Some(cves) = cves else {
            let mut st = self.conn.prepare(base).map_err(e)?;
            let rows = st.query_map([snapshot_id], &row).map_err(e)?;
            for r in rows {
                out.push(r.map_err(e)?);
            }
            return Ok(out);
        };
        for chunk in cves.chunks(CVE_BATCH) {
            let marks = vec!["?"; chunk.len()].join(",");
            let sql = format!("{base} AND cve IN ({marks})");
            let mut st = self.conn.prepare_cached(&sql).map_err(e)?;
            let mut params: Vec<&dyn rusqlite::ToSql> = vec![&snapshot_id];
            params.extend(chunk.iter().map(|c| c as &dyn rusqlite::ToSql));
            let rows = st.query_map(params.as_slice(), &row).map_err(e)?;
            for r in rows {
                out.push(r.map_err(e)?);
            }
        }
        Ok(out)
    }
}

fn snapshot_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Snapshot> {
    Ok(Snapshot {
        id: r.get(0)?,
        source: r.get(1)?,
        version: r.get(2)?,
        date: r.get(3)?,
        fetched_at: r.get(4)?,
        origin: r.get(5)?,
        sha256: r.get(6)?,
        entries: r.get(7)?,
    })
}

/// The run's contents as JSON blobs: findings (compact), components, VEX
/// statements and, for `decide`, the verdict summary, the issues and each
/// finding's outcome (its issue and decision).
/// `(kind, stored bytes, SHA-256 hex of the stored bytes)`.
type Blob = (&'static str, Packed, String);

/// Encoded bytes, kept in chunks that are written once and never moved: a
/// vector doubling its way to a 13 MB blob leaves ~13 MB of outgrown
/// copies with the allocator, resident until it gets round to returning
/// them, and at the end of a large run that is the peak. The SHA-256 of
/// the bytes is computed as they are written.
pub(crate) struct Packed {
    chunks: Vec<Vec<u8>>,
    len: usize,
    sha: Sha256,
    /// Where full chunks go when the bytes are kept on disk (see
    /// [`Packed::spilled`]); then only the chunk being filled is in memory.
    file: Option<std::fs::File>,
}

/// Largest chunk of a [`Packed`]; smaller ones grow geometrically to it.
const PACKED_CHUNK: usize = 1 << 20;

impl Default for Packed {
    fn default() -> Self {
        Packed {
            chunks: Vec::new(),
            len: 0,
            sha: Sha256::new(),
            file: None,
        }
    }
}

impl std::fmt::Debug for Packed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Packed({} bytes in {} chunks{})",
            self.len,
            self.chunks.len(),
            if self.file.is_some() { ", on disk" } else { "" }
        )
    }
}

impl std::io::Write for Packed {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.sha.update(buf);
        let mut rest = buf;
        while !rest.is_empty() {
            let full = self.chunks.last().is_none_or(|c| c.len() == c.capacity());
            if full && let (Some(file), Some(chunk)) = (&mut self.file, self.chunks.last_mut()) {
                // On disk: the full chunk is written out and refilled.
                std::io::Write::write_all(file, chunk)?;
                chunk.clear();
            } else if full {
                let cap = self.len.clamp(4096, PACKED_CHUNK);
                self.chunks.push(Vec::with_capacity(cap));
            }
            let Some(chunk) = self.chunks.last_mut() else {
                break;
            };
            let k = (chunk.capacity() - chunk.len()).min(rest.len());
            chunk.extend_from_slice(&rest[..k]);
            rest = &rest[k..];
        }
        self.len += buf.len();
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Packed {
    /// An empty buffer whose bytes are kept in `file` (an anonymous
    /// temporary file) as they are written, all but the last 1 MiB: a
    /// large run's encoded findings wait there for the recording
    /// transaction instead of in memory.
    fn spilled(file: std::fs::File) -> Packed {
        Packed {
            chunks: vec![Vec::with_capacity(PACKED_CHUNK)],
            file: Some(file),
            ..Packed::default()
        }
    }

    /// An empty buffer kept on disk beside the store at `db` (see
    /// [`Packed::spilled`]), or in memory where no temporary file can be
    /// made there.
    fn beside(db: &Path) -> Packed {
        let dir = db.parent().filter(|d| !d.as_os_str().is_empty());
        let dir = dir.unwrap_or(Path::new("."));
        tempfile::tempfile_in(dir).map_or_else(|_| Packed::default(), Packed::spilled)
    }

    /// Call `f` with the bytes, in order, a chunk at a time (`io` tells
    /// how a failure to read them back from disk is reported).
    fn for_each_chunk<E>(
        &self,
        io: impl Fn(std::io::Error) -> E,
        mut f: impl FnMut(&[u8]) -> std::result::Result<(), E>,
    ) -> std::result::Result<(), E> {
        if let Some(mut file) = self.file.as_ref() {
            use std::io::{Read, Seek};
            let on_disk = self.len - self.chunks.iter().map(Vec::len).sum::<usize>();
            file.seek(std::io::SeekFrom::Start(0)).map_err(&io)?;
            let mut buf = vec![0u8; PACKED_CHUNK.min(on_disk)];
            let mut left = on_disk;
            while left > 0 {
                let n = left.min(buf.len());
                file.read_exact(&mut buf[..n]).map_err(&io)?;
                f(&buf[..n])?;
                left -= n;
            }
        }
        self.chunks.iter().try_for_each(|c| f(c))
    }

    /// The bytes and their SHA-256, hex.
    #[cfg(test)]
    fn of(bytes: &[u8]) -> (Packed, String) {
        let mut p = Packed::default();
        std::io::Write::write_all(&mut p, bytes).unwrap_or_default();
        let digest = p.digest();
        (p, digest)
    }

    fn len(&self) -> usize {
        self.len
    }

    fn digest(&self) -> String {
        hex::encode(self.sha.clone().finalize())
    }

    #[cfg(test)]
    fn to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len);
        self.for_each_chunk(
            |e| e,
            |c| {
                out.extend_from_slice(c);
                Ok(())
            },
        )
        .unwrap_or_default();
        out
    }
}

/// A run's findings as the store keeps them: JSON tables and rows (see
/// [`write_findings`]), LZ4-compressed, with the digest of the stored
/// bytes. Encoding depends on the findings alone, so `decide` does it on a
/// second core while the gate runs.
#[derive(Debug)]
pub struct EncodedFindings {
    data: Packed,
    digest: String,
    count: usize,
}

impl EncodedFindings {
    /// Encode the run's findings (streamed: no intermediate JSON copy).
    pub fn encode(run: &Run) -> std::result::Result<EncodedFindings, String> {
        Self::encode_into(run, Packed::default())
    }

    /// [`EncodedFindings::encode`], keeping the encoded bytes in an
    /// anonymous temporary file beside the store at `db` until they are
    /// recorded: for a 200k-result run that is 13 MB less resident while
    /// the gate runs. Where no such file can be made, they are kept in
    /// memory.
    pub fn encode_beside(run: &Run, db: &Path) -> std::result::Result<EncodedFindings, String> {
        Self::encode_into(run, Packed::beside(db))
    }

    fn encode_into(run: &Run, out: Packed) -> std::result::Result<EncodedFindings, String> {
        let data = pack_into(out, |w| write_findings(w, run))?;
        let digest = data.digest();
        Ok(EncodedFindings {
            data,
            digest,
            count: run.findings.len(),
        })
    }
}

/// Serializes what the closure yields as a JSON array, streamed (no
/// intermediate vector).
struct SeqOf<F>(F);

impl<F, I> serde::Serialize for SeqOf<F>
where
    F: Fn() -> I,
    I: IntoIterator,
    I::Item: serde::Serialize,
{
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        s.collect_seq((self.0)())
    }
}

/// Write a run's findings as the findings blob keeps them:
///
/// `{"findings": [row, ...], "tools": [name, ...], "rules": [id, ...],
/// "paths": [uri, ...], "cwes": [[cwe, ...], ...]}`
///
/// with each row `[fingerprint, tool, rule, severity, score, path, line,
/// cwes, input, vulnerability]`: tool, rule, path and cwes are indices into
/// the tables after the rows (`null` where the finding has none), and the
/// vulnerability is `null` or `[id, aliases, purl, package, version]`.
/// Each rule, path and tool name is written once, not once per finding: for
/// the 200k-result bench log that is 15 MB of JSON instead of 45, which is
/// less to serialize, compress and write twice (WAL, then checkpoint).
/// Runs recorded before this layout hold a list of objects, one per
/// finding, and are still read ([`Store::findings_of`]).
fn write_findings(w: &mut Staged<'_>, run: &Run) -> std::result::Result<(), String> {
    let mut tools: Table<&str> = Table::default();
    let mut rules: Table<&str> = Table::default();
    let mut paths: Table<&str> = Table::default();
    let mut cwes: Table<&[crate::model::Sym]> = Table::default();
    let mut list = JsonList::new(w);
    list.raw(b"{\"findings\":[");
    for (i, f) in run.findings.iter().enumerate() {
        let loc = f.primary_location();
        let v = f.vulnerability.as_deref();
        let p = v.and_then(|v| v.package.as_ref());
        list.item(&FindingRow(
            &f.fingerprint.value,
            tools.index(&f.tool.name),
            f.rule_id.as_deref().map(|r| rules.index(r)),
            f.severity,
            f.score,
            loc.and_then(|l| l.uri.as_deref()).map(|u| paths.index(u)),
            loc.and_then(|l| l.start_line),
            (!f.cwes.is_empty()).then(|| cwes.index(&f.cwes)),
            run.finding_input.get(i).copied().unwrap_or(0),
            v.map(|v| {
                (
                    v.id.as_str(),
                    v.aliases.as_slice(),
                    p.and_then(|p| p.purl.as_deref()),
                    p.and_then(|p| p.name.as_deref()),
                    p.and_then(|p| p.version.as_deref()),
                )
            }),
        ));
    }
    for (key, table) in [
        (&b"],\"tools\":"[..], &tools.items),
        (b",\"rules\":", &rules.items),
        (b",\"paths\":", &paths.items),
    ] {
        list.raw(key);
        list.item(table);
    }
    list.raw(b",\"cwes\":");
    list.item(&cwes.items);
    list.raw(b"}");
    list.finish()
}

/// One row of the findings blob, as written (see [`write_findings`]).
#[derive(serde::Serialize)]
struct FindingRow<'a>(
    &'a str,
    u32,
    Option<u32>,
    crate::model::Severity,
    Option<f64>,
    Option<u32>,
    Option<u32>,
    Option<u32>,
    u32,
    Option<VulnRow<&'a str, &'a [String]>>,
);

/// `[id, aliases, purl, package, version]`, `T` a text and `L` a list
/// of texts (borrowed when written, owned when read).
type VulnRow<T, L> = (T, L, Option<T>, Option<T>, Option<T>);

/// Distinct values in the order first seen, each with its index.
struct Table<K> {
    index: crate::model::FastMap<K, u32>,
    items: Vec<K>,
}

impl<K> Default for Table<K> {
    fn default() -> Self {
        Table {
            index: Default::default(),
            items: Vec::new(),
        }
    }
}

impl<K: Copy + Eq + std::hash::Hash> Table<K> {
    fn index(&mut self, k: K) -> u32 {
        let next = self.items.len() as u32;
        let i = *self.index.entry(k).or_insert(next);
        if i == next {
            self.items.push(k);
        }
        i
    }
}

/// Write a run's issues as the issues blob keeps them:
///
/// `{"issues": [row, ...], "tools": [[name, ...], ...]}`
///
/// with each row `[id, identity, lifecycle, severity, decision,
/// vulnerability, tools, findings, merged by, vex, waiver, risk]`: `tools`
/// an index into the table of tool lists after the rows, and `null` where
/// an [`IssueRecord`](crate::verdict::IssueRecord) leaves a field out. For
/// the 200k-result bench log that is 19 MB of JSON instead of 30. Runs
/// recorded before this layout hold the records as objects, and read back
/// the same ([`Store::issues_of`]).
fn write_issues<'a>(
    w: &mut Staged<'_>,
    issues: impl Iterator<Item = crate::verdict::IssueRecord<'a>>,
) -> std::result::Result<(), String> {
    let mut tools: Table<&[crate::model::Sym]> = Table::default();
    let mut list = JsonList::new(w);
    list.raw(b"{\"issues\":[");
    for r in issues {
        list.item(&(
            r.id,
            r.identity,
            r.lifecycle,
            r.severity,
            r.decision,
            r.vulnerability,
            tools.index(r.tools),
            r.findings,
            (!r.merged_by.is_empty()).then_some(r.merged_by),
            r.vex,
            r.waiver,
            r.risk,
        ));
    }
    list.raw(b"],\"tools\":");
    list.item(&tools.items);
    list.raw(b"}");
    list.finish()
}

/// An issues blob, read back as the list of objects an
/// [`IssueRecord`](crate::verdict::IssueRecord) serializes to (see
/// [`Store::issues_of`]).
fn read_issues(blob: &[u8]) -> std::result::Result<serde_json::Value, String> {
    use serde_json::Value;
    /// A row as [`write_issues`] writes it.
    type Row = (
        String,
        Option<String>,
        String,
        String,
        String,
        Option<String>,
        u32,
        Vec<u32>,
        Option<Vec<String>>,
        Option<String>,
        Option<String>,
        Option<f64>,
    );
    #[derive(serde::Deserialize)]
    struct Tables {
        issues: Vec<Row>,
        tools: Vec<Vec<String>>,
    }
    let first = blob.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return serde_json::from_slice(blob).map_err(|e| e.to_string());
    }
    let t: Tables = serde_json::from_slice(blob).map_err(|e| e.to_string())?;
    let rows = t.issues.into_iter().map(|row| {
        let (
            id,
            identity,
            lifecycle,
            severity,
            decision,
            vuln,
            tools,
            findings,
            merged_by,
            vex,
            waiver,
            risk,
        ) = row;
        let tools = t.tools.get(tools as usize).ok_or_else(|| {
            format!(
                "tool list {tools} is not in the table of {} tool lists",
                t.tools.len()
            )
        })?;
        let mut o = serde_json::Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                o.insert(k.to_string(), v);
            }
        };
        put("id", Some(id.into()));
        put("identity", identity.map(Value::from));
        put("lifecycle", Some(lifecycle.into()));
        put("severity", Some(severity.into()));
        put("decision", Some(decision.into()));
        put("vulnerability", vuln.map(Value::from));
        put("tools", Some(tools.clone().into()));
        put("findings", Some(findings.into()));
        put("merged_by", merged_by.map(Value::from));
        put("vex", vex.map(Value::from));
        put("waiver", waiver.map(Value::from));
        put("risk", risk.map(Value::from));
        Ok(Value::Object(o))
    });
    rows.collect::<std::result::Result<Vec<Value>, String>>()
        .map(Value::Array)
}

/// A findings blob, read back (see [`Store::findings_of`]).
fn read_findings(blob: &[u8]) -> std::result::Result<Vec<crate::model::Finding>, String> {
    use crate::model::{Severity, Sym};
    use std::sync::Arc;
    /// A row as [`write_findings`] writes it.
    #[derive(serde::Deserialize)]
    struct Row(
        String,
        u32,
        Option<u32>,
        Severity,
        Option<f64>,
        Option<u32>,
        Option<u32>,
        Option<u32>,
        serde::de::IgnoredAny,
        Option<VulnRow<String, Vec<String>>>,
    );
    #[derive(serde::Deserialize)]
    struct Tables {
        findings: Vec<Row>,
        tools: Vec<String>,
        rules: Vec<String>,
        paths: Vec<String>,
        cwes: Vec<Vec<String>>,
    }
    /// A finding as runs recorded before the tables kept it.
    #[derive(serde::Deserialize)]
    struct Object {
        fp: String,
        tool: String,
        rule: Option<String>,
        sev: Severity,
        score: Option<f64>,
        path: Option<String>,
        line: Option<u32>,
        vuln: Option<String>,
        #[serde(default)]
        aliases: Vec<String>,
        purl: Option<String>,
        pkg: Option<String>,
        version: Option<String>,
        #[serde(default)]
        cwes: Vec<String>,
    }
    let sym = |s: String| -> Sym { Arc::from(s) };
    // One shared tool per name, as when the run was read.
    let mut by_name: crate::model::FastMap<String, Arc<crate::model::Tool>> = Default::default();
    let mut tool_named = |name: String| {
        by_name
            .entry(name)
            .or_insert_with_key(|name| {
                Arc::new(crate::model::Tool {
                    name: Arc::from(name.as_str()),
                    version: None,
                })
            })
            .clone()
    };
    let first = blob.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        let objects: Vec<Object> = serde_json::from_slice(blob).map_err(|e| e.to_string())?;
        return Ok(objects
            .into_iter()
            .map(|f| {
                let tool = tool_named(f.tool);
                let vuln = f.vuln.map(|id| {
                    (
                        id,
                        f.aliases,
                        f.purl.map(sym),
                        f.pkg.map(sym),
                        f.version.map(sym),
                    )
                });
                let cwes = f.cwes.into_iter().map(sym).collect();
                stored_finding(
                    f.fp,
                    tool,
                    f.rule.map(sym),
                    (f.sev, f.score),
                    (f.path.map(sym), f.line),
                    cwes,
                    vuln,
                )
            })
            .collect());
    }
    let t: Tables = serde_json::from_slice(blob).map_err(|e| e.to_string())?;
    let tools: Vec<Arc<crate::model::Tool>> = t.tools.into_iter().map(tool_named).collect();
    let rules: Vec<Sym> = t.rules.into_iter().map(sym).collect();
    let paths: Vec<Sym> = t.paths.into_iter().map(sym).collect();
    let cwes: Vec<crate::model::Syms> = t
        .cwes
        .into_iter()
        .map(|l| l.into_iter().map(sym).collect())
        .collect();
    fn at<T: Clone>(table: &[T], i: u32, what: &str) -> std::result::Result<T, String> {
        table
            .get(i as usize)
            .cloned()
            .ok_or_else(|| format!("{what} {i} is not in the table of {} {what}s", table.len()))
    }
    t.findings
        .into_iter()
        .map(|r| {
            let Row(fp, tool, rule, sev, score, path, line, cwe, _, vuln) = r;
            Ok(stored_finding(
                fp,
                at(&tools, tool, "tool")?,
                rule.map(|i| at(&rules, i, "rule")).transpose()?,
                (sev, score),
                (path.map(|i| at(&paths, i, "path")).transpose()?, line),
                cwe.map(|i| at(&cwes, i, "CWE list"))
                    .transpose()?
                    .unwrap_or_default(),
                vuln.map(|(id, aliases, purl, pkg, version)| {
                    (id, aliases, purl.map(sym), pkg.map(sym), version.map(sym))
                }),
            ))
        })
        .collect()
}

/// `(id, aliases, purl, package, version)` of a stored finding.
type StoredVuln = (
    String,
    Vec<String>,
    Option<crate::model::Sym>,
    Option<crate::model::Sym>,
    Option<crate::model::Sym>,
);

/// A finding with what the findings blob keeps of it.
fn stored_finding(
    fp: String,
    tool: std::sync::Arc<crate::model::Tool>,
    rule_id: Option<crate::model::Sym>,
    (severity, score): (crate::model::Severity, Option<f64>),
    (path, line): (Option<crate::model::Sym>, Option<u32>),
    cwes: crate::model::Syms,
    vuln: Option<StoredVuln>,
) -> crate::model::Finding {
    use crate::model::*;
    Finding {
        tool,
        rule_id,
        meta: None,
        kind: ResultKind::Fail,
        level: Level::Warning,
        severity,
        score,
        message: Box::default(),
        locations: path
            .map(|p| {
                vec![Location {
                    uri: Some(p),
                    start_line: line,
                    ..Default::default()
                }]
                .into()
            })
            .unwrap_or_default(),
        producer_fingerprints: Default::default(),
        fingerprint: Fingerprint {
            value: fp.into(),
            source: if vuln.is_some() {
                FingerprintSource::Package
            } else {
                FingerprintSource::Producer
            },
        },
        extras: None,
        cwes,
        vulnerability: vuln.map(|(id, aliases, purl, name, version)| {
            Box::new(VulnerabilityRef {
                id,
                aliases,
                package: Some(PackageRef {
                    name,
                    version,
                    purl,
                    fixed_version: None,
                }),
                cvss_vectors: vec![],
            })
        }),
        properties: None,
    }
}

/// A run's blobs in the order their digests enter its content digest.
const BLOB_ORDER: [&str; 6] = [
    "findings",
    "components",
    "statements",
    "verdict",
    "issues",
    "outcomes",
];

/// The run's blob `kind`, encoded; `None` for the findings and the issues
/// (encoded on other cores) and for the verdict's blobs of a run without one.
fn encode_blob(
    kind: &'static str,
    run: &Run,
    verdict: Option<&Verdict>,
) -> Option<std::result::Result<Blob, String>> {
    let packed = match (kind, verdict) {
        ("components", _) => pack_json(&SeqOf(|| run.components.iter().map(|(i, c)| (i, c)))),
        ("statements", _) => pack_json(&SeqOf(|| run.statements.iter().map(|(i, s)| (i, s)))),
        ("verdict", Some(v)) => pack_json(&v.summary()),
        // Each finding's issue (index into the issues blob) and decision.
        ("outcomes", Some(v)) => {
            pack_json(&SeqOf(|| v.outcomes.iter().map(|o| (o.issue, o.decision))))
        }
        _ => return None,
    };
    Some(packed.map(|(data, digest)| (kind, data, digest)))
}

/// The run's inputs, with their digests.
fn insert_inputs(tx: &rusqlite::Transaction<'_>, run_id: i64, run: &Run) -> rusqlite::Result<()> {
    let mut st = tx
        .prepare("INSERT INTO inputs VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)")?;
    for (i, inp) in run.inputs.iter().enumerate() {
        let formats: Vec<&str> = inp.formats.iter().map(|f| f.as_str()).collect();
        let producers: Vec<String> = inp
            .producers
            .iter()
            .map(|t| match &t.version {
                Some(v) => format!("{}@{v}", t.name),
                None => t.name.to_string(),
            })
            .collect();
        st.execute(params![
            run_id,
            i as i64,
            inp.path.to_string_lossy(),
            inp.sha256,
            inp.size as i64,
            formats.join(","),
            inp.spec_versions.join(","),
            producers.join(","),
            inp.findings as i64,
            inp.components as i64,
            inp.relationships as i64,
            inp.statements as i64
        ])?;
    }
    Ok(())
}

/// Stored blobs are LZ4-compressed JSON, a quarter of the bytes for SQLite
/// and its WAL to write. Written as LZ4 frames, streamed from the
/// serializer (see [`erased::Ser::pack_into`]); blobs of stores written before
/// that are size-prefixed LZ4 blocks, and are still read.
fn pack_json(v: &dyn erased::Ser) -> std::result::Result<(Packed, String), String> {
    let data = v.pack_into(Packed::default())?;
    let digest = data.digest();
    Ok((data, digest))
}

/// The first bytes of an LZ4 frame.
const LZ4_FRAME_MAGIC: [u8; 4] = [0x04, 0x22, 0x4d, 0x18];

fn unpack(stored: &[u8]) -> std::result::Result<Vec<u8>, String> {
    if stored.starts_with(&LZ4_FRAME_MAGIC) {
        use std::io::Read;
        let mut out = Vec::with_capacity(stored.len() * 4);
        match lz4_flex::frame::FrameDecoder::new(stored).read_to_end(&mut out) {
            Ok(_) => return Ok(out),
            // A size-prefixed block whose size happens to spell the magic.
            Err(e) => {
                return lz4_flex::decompress_size_prepended(stored)
                    .map_err(|_| format!("stored data is corrupt: {e}"));
            }
        }
    }
    lz4_flex::decompress_size_prepended(stored).map_err(|e| format!("stored data is corrupt: {e}"))
}

/// What `write` writes, as an LZ4 frame, into `out` (in memory or
/// [`Packed::spilled`]; see [`pack_json`]).
fn pack_into(
    out: Packed,
    write: impl FnOnce(&mut Staged<'_>) -> std::result::Result<(), String>,
) -> std::result::Result<Packed, String> {
    // A content checksum lets a torn blob be told from a short one.
    let info = lz4_flex::frame::FrameInfo::new().content_checksum(true);
    let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, out);
    {
        let mut w = Staged {
            buf: Vec::with_capacity(STAGED + (4 << 10)),
            enc: &mut enc,
        };
        write(&mut w)?;
        w.drain().map_err(|e| e.to_string())?;
    }
    enc.finish().map_err(|e| e.to_string())
}

/// [`pack_into`] on two cores: `write` serializes on the calling thread
/// while a second thread compresses what it has written, as it comes (the
/// encoder is given the very writes [`pack_into`] gives it, so the frame is
/// the same). For the blob that is encoded last, while little else is left
/// to run: the issues of a 200k-issue run are 19 MB of JSON, about 40 % of
/// whose encoding time is compression. Where no thread can be started, as
/// [`pack_into`].
fn pack_piped(
    out: Packed,
    write: impl FnOnce(&mut Staged<'_>) -> std::result::Result<(), String>,
) -> std::result::Result<Packed, String> {
    use std::sync::mpsc;
    use std::sync::{Arc, Mutex};
    // What the compressing thread takes once it runs; left for the
    // calling thread when no thread can be started.
    let slot = Arc::new(Mutex::new(Some(out)));
    let (to, from) = mpsc::sync_channel::<Vec<u8>>(4);
    let (back, spare) = mpsc::channel::<Vec<u8>>();
    std::thread::scope(|scope| {
        let theirs = Arc::clone(&slot);
        let compressing = std::thread::Builder::new()
            .name("fixops-lz4".into())
            .spawn_scoped(scope, move || {
                let out = theirs
                    .lock()
                    .ok()
                    .and_then(|mut o| o.take())
                    .ok_or("the compressed bytes' destination was taken")?;
                let info = lz4_flex::frame::FrameInfo::new().content_checksum(true);
                let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, out);
                for piece in from {
                    std::io::Write::write_all(&mut enc, &piece).map_err(|e| e.to_string())?;
                    // (The writer may be done and gone.)
                    let _ = back.send(piece);
                }
                enc.finish().map_err(|e| e.to_string())
            });
        let Ok(compressing) = compressing else {
            let out = slot.lock().ok().and_then(|mut o| o.take());
            return match out {
                Some(out) => pack_into(out, write),
                None => Err("the compressed bytes' destination was taken".into()),
            };
        };
        let mut pipe = Pipe { to, spare };
        let written = {
            let mut w = Staged {
                buf: Vec::with_capacity(STAGED + (4 << 10)),
                enc: &mut pipe,
            };
            write(&mut w).and_then(|()| w.drain().map_err(|e| e.to_string()))
        };
        // The end of the bytes: the compressing thread finishes the frame.
        drop(pipe);
        let packed = compressing
            .join()
            .unwrap_or_else(|_| Err("compressing stopped unexpectedly".into()));
        // A failed compression is why the writes failed, if they did.
        let packed = packed?;
        written.map(|()| packed)
    })
}

/// The writes of a [`Staged`] on their way to [`pack_piped`]'s compressing
/// thread, each copied into a buffer it has given back.
struct Pipe {
    to: std::sync::mpsc::SyncSender<Vec<u8>>,
    spare: std::sync::mpsc::Receiver<Vec<u8>>,
}

impl std::io::Write for Pipe {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        let mut piece = self.spare.try_recv().unwrap_or_default();
        piece.clear();
        piece.extend_from_slice(bytes);
        self.to
            .send(piece)
            .map_err(|_| std::io::Error::other("compressing stopped"))
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Bytes a [`Staged`] gathers before they go to the encoder.
const STAGED: usize = 64 << 10;

/// Bytes on their way into an LZ4 frame: writes go into a plain buffer
/// (a serializer given `&mut Staged` appends each token inline), which
/// reaches the encoder whole LZ4 blocks at a time. The encoder sees
/// writes of at most [`STAGED`] bytes (its block size follows the first
/// write's length) and is never flushed before it is finished (a flush
/// would end a block early): the frame is the same whatever the writes.
/// For the large blobs (a run's findings and issues, and the next
/// lifecycle state) that was 3 % fewer instructions in a 200k-finding
/// `decide` than serializing through `dyn Write`, one call per token.
struct Staged<'a> {
    buf: Vec<u8>,
    enc: &'a mut dyn std::io::Write,
}

impl Staged<'_> {
    fn drain(&mut self) -> std::io::Result<()> {
        for piece in self.buf.chunks(STAGED) {
            self.enc.write_all(piece)?;
        }
        self.buf.clear();
        Ok(())
    }
}

impl std::io::Write for Staged<'_> {
    #[inline]
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.write_all(bytes)?;
        Ok(bytes.len())
    }

    #[inline]
    fn write_all(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.buf.extend_from_slice(bytes);
        if self.buf.len() >= STAGED {
            self.drain()?;
        }
        Ok(())
    }

    /// Nothing: the bytes gathered go on with the next block (see
    /// [`Staged`]).
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

mod erased {
    /// Serialize any value to LZ4-compressed JSON (keeps `encode_blob` free
    /// of generics).
    pub trait Ser {
        fn pack_into(&self, out: super::Packed) -> Result<super::Packed, String>;
    }
    impl<T: serde::Serialize + ?Sized> Ser for T {
        fn pack_into(&self, out: super::Packed) -> Result<super::Packed, String> {
            // Through `dyn Write`: the small blobs do not need a copy of
            // every serializer for the concrete writer.
            super::pack_into(out, |w| {
                serde_json::to_writer(w as &mut dyn std::io::Write, self).map_err(|e| e.to_string())
            })
        }
    }
}

/// The lifecycle state of one project and branch, as stored: one row
/// holding every issue ever seen there (a 200k-issue project rewrites one
/// blob per run instead of touching 200k rows).
/// `{"times": [time, ...], "issues": [[identity, issue id, severity, first
/// seen, fixed at], ...], "fingerprints": [[fingerprint, identity], ...]}`,
/// the fingerprints being those their identity does not name. The times
/// are indices into `times` (most issues share the time of the run that
/// first saw them), or the time itself in states written before the table
/// and for times not in it; the issue id is `null` where it is the one an
/// identity `fp X` gives (`I-` and the first 12 digits of X). A 200k-issue
/// state is 12 MB of JSON this way, 18.5 without the table and the `null`s.
///
/// It is walked, not parsed into a list ([`StateBytes::walk`]): a
/// 200k-issue state is a million short strings, and even borrowed a list of
/// them is 25 MB, on every run that reads or merges the state.
#[cfg(test)]
type OwnedIssue = (String, Option<String>, String, String, Option<String>);

#[cfg(test)]
#[derive(Debug, Default)]
struct LifecycleState {
    /// `(identity, issue id, severity, first seen, fixed at)`.
    issues: Vec<OwnedIssue>,
    fingerprints: Vec<(String, String)>,
}

/// `(identity, issue id, severity, first seen, fixed at)`, the issue id
/// `None` where it is the identity's own (see [`stored_id`]).
type StateIssue<'a> = (Txt<'a>, Option<Txt<'a>>, Txt<'a>, Txt<'a>, Option<Txt<'a>>);

/// The issue id an identity `fp X` names (`I-` and the first 12 digits of
/// X), which the stored state leaves out.
fn own_id(identity: &str) -> Option<crate::correlate::IssueId> {
    identity
        .strip_prefix("fp ")
        .and_then(crate::correlate::IssueId::of_hex)
}

/// The id of a stored issue, `None` where the state leaves it out.
fn stored_id<'a>(identity: &str, id: &'a str) -> Option<&'a str> {
    // The identity's 12 digits, when it names a digest, and the id's.
    let own = own_id(identity).is_some() && identity.get(3..15) == id.strip_prefix("I-");
    (!own).then_some(id)
}

/// A time in a stored issue: an index into the state's `times`, or the
/// time itself.
enum TimeRef<'a> {
    Index(u64),
    Text(Txt<'a>),
}

impl<'de: 'a, 'a> serde::Deserialize<'de> for TimeRef<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = TimeRef<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a time or an index into the times")
            }
            fn visit_u64<E: serde::de::Error>(self, i: u64) -> std::result::Result<TimeRef<'a>, E> {
                Ok(TimeRef::Index(i))
            }
            fn visit_borrowed_str<E: serde::de::Error>(
                self,
                s: &'de str,
            ) -> std::result::Result<TimeRef<'a>, E> {
                Ok(TimeRef::Text(Txt(std::borrow::Cow::Borrowed(s))))
            }
            fn visit_str<E: serde::de::Error>(
                self,
                s: &str,
            ) -> std::result::Result<TimeRef<'a>, E> {
                Ok(TimeRef::Text(Txt(std::borrow::Cow::Owned(s.to_string()))))
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'a> TimeRef<'a> {
    fn resolve<'t: 'a>(self, times: &'t [String]) -> std::result::Result<Txt<'a>, String> {
        match self {
            TimeRef::Text(t) => Ok(t),
            TimeRef::Index(i) => times
                .get(i as usize)
                .map(|t| Txt(t.as_str().into()))
                .ok_or_else(|| format!("time {i} is not in the table of {} times", times.len())),
        }
    }
}

/// A time as the next state writes it: an index into its `times`, or the
/// time itself where it is not in them.
#[derive(serde::Serialize)]
#[serde(untagged)]
enum TimeOut<'a> {
    Index(u32),
    Text(&'a str),
}

/// A stored lifecycle state: its LZ4 frame, decompressed as it is walked
/// (a 200k-issue state is 12 MB of JSON, 7.5 MB as stored, and it is read
/// while a run is recorded, at the run's peak of memory), or its JSON
/// (states stored before frames, and none stored: empty).
enum StateBytes {
    Frame(Vec<u8>),
    Json(Vec<u8>),
}

impl StoredState for StateBytes {
    fn is_empty(&self) -> bool {
        matches!(self, StateBytes::Json(j) if j.is_empty())
    }

    fn source(&self) -> std::result::Result<Box<dyn std::io::Read + '_>, String> {
        Ok(match self {
            StateBytes::Frame(f) => Box::new(lz4_flex::frame::FrameDecoder::new(f.as_slice())),
            StateBytes::Json(j) => Box::new(j.as_slice()),
        })
    }
}

/// A stored lifecycle state that is an LZ4 frame, read from the store's
/// pages (the row `id` of `lifecycle_state`) as it is walked.
struct StateRow<'c> {
    conn: &'c Connection,
    id: i64,
}

impl StoredState for StateRow<'_> {
    fn is_empty(&self) -> bool {
        false
    }

    fn source(&self) -> std::result::Result<Box<dyn std::io::Read + '_>, String> {
        let blob = self
            .conn
            .blob_open(rusqlite::MAIN_DB, "lifecycle_state", "data", self.id, true)
            .map_err(|e| e.to_string())?;
        Ok(Box::new(lz4_flex::frame::FrameDecoder::new(blob)))
    }
}

/// A stored lifecycle state (see [`LifecycleState`]), walked as its JSON is
/// decompressed.
trait StoredState {
    /// No state is stored.
    fn is_empty(&self) -> bool;

    /// The state's JSON, as it is decompressed.
    fn source(&self) -> std::result::Result<Box<dyn std::io::Read + '_>, String>;

    /// Whether the state's first block can be decompressed (and is not
    /// empty: no stored state is). A size-prefixed block whose size spells
    /// the frame magic cannot.
    fn starts(&self) -> bool {
        use std::io::Read;
        let mut first = [0u8; 1];
        self.source()
            .is_ok_and(|mut src| matches!(src.read(&mut first), Ok(1)))
    }

    /// Call `issue` for each stored issue and `fingerprint` for each
    /// fingerprint pair, in document order, with strings borrowed from the
    /// window they are read through.
    fn walk(
        &self,
        project: &str,
        mut issue: impl FnMut(StateIssue<'_>),
        mut fingerprint: impl FnMut((Txt<'_>, Txt<'_>)),
    ) -> std::result::Result<(), String> {
        if self.is_empty() {
            return Ok(());
        }
        let mut w = Window::new(
            self.source()
                .map_err(|e| format!("lifecycle state of {project} cannot be read: {e}"))?,
        );
        let mut times: Vec<String> = Vec::new();
        let mut walk = || -> std::result::Result<(), String> {
            w.expect(b'{')?;
            if w.peek()? == Some(b'}') {
                w.next()?;
                return w.end();
            }
            loop {
                let key = w.value::<TextShape, _>(|k| k.to_string())?;
                w.expect(b':')?;
                match key.as_str() {
                    "times" => {
                        times =
                            w.value::<TimesShape, _>(|t| t.iter().map(|t| t.to_string()).collect())?
                    }
                    "issues" => w.items(|w| {
                        w.value::<RowShape, _>(|(identity, id, sev, first, at)| {
                            let first = first.resolve(&times)?;
                            let at = at.map(|t| t.resolve(&times)).transpose()?;
                            issue((identity, id, sev, first, at));
                            Ok(())
                        })?
                    })?,
                    "fingerprints" => w.items(|w| w.value::<PairShape, _>(&mut fingerprint))?,
                    _ => w.value::<Ignored, _>(|_| ())?,
                }
                match w.next()? {
                    Some(b',') => {}
                    Some(b'}') => return w.end(),
                    _ => return Err("expected `,` or `}` after a member".to_string()),
                }
            }
        };
        walk().map_err(|e| format!("lifecycle state of {project} is corrupt: {e}"))
    }

    /// The `times` of a state that starts with them (as states written
    /// since the table do), but those written with escapes (which the next
    /// state writes as themselves); none otherwise, or if they cannot be
    /// read (the walk then reports what is wrong).
    fn times(&self) -> Vec<String> {
        let Ok(src) = self.source() else {
            return Vec::new();
        };
        let mut w = Window::new(src);
        if self.is_empty() || !w.take_prefix(b"{\"times\":").unwrap_or(false) {
            return Vec::new();
        }
        w.value::<TimesShape, _>(|times| {
            times
                .into_iter()
                .filter_map(|t| match t.0 {
                    std::borrow::Cow::Borrowed(t) => Some(t.to_string()),
                    std::borrow::Cow::Owned(_) => None,
                })
                .collect()
        })
        .unwrap_or_default()
    }

    #[cfg(test)]
    fn parse(&self, project: &str) -> std::result::Result<LifecycleState, String> {
        let mut st = LifecycleState::default();
        self.walk(
            project,
            |(i, id, sev, first, at)| {
                let s = |t: Txt<'_>| t.to_string();
                st.issues
                    .push((s(i), id.map(s), s(sev), s(first), at.map(s)))
            },
            |(f, i)| st.fingerprints.push((f.to_string(), i.to_string())),
        )?;
        Ok(st)
    }
}

/// The shapes of a stored state's values (see [`Window::value`]).
struct TextShape;
impl Shape for TextShape {
    type Of<'s> = Txt<'s>;
}
struct TimesShape;
impl Shape for TimesShape {
    type Of<'s> = Vec<Txt<'s>>;
}
struct RowShape;
impl Shape for RowShape {
    type Of<'s> = StoredRow<'s>;
}
struct PairShape;
impl Shape for PairShape {
    type Of<'s> = (Txt<'s>, Txt<'s>);
}

/// A stored issue as written, its times not yet resolved.
type StoredRow<'a> = (
    Txt<'a>,
    Option<Txt<'a>>,
    Txt<'a>,
    TimeRef<'a>,
    Option<TimeRef<'a>>,
);

/// Insert a row with `insert` (its `params` followed by the blob as the last
/// parameter) and write `data` into the row's `data` column of `table`
/// with incremental blob I/O. Bound as a parameter, SQLite copies a blob
/// and then builds the row in a second copy: for the findings of a large
/// run, tens of MB at the run's peak. A zero-filled blob of the size is
/// inserted instead and `data` is written into its pages.
fn insert_blob(
    conn: &Connection,
    insert: &mut rusqlite::Statement<'_>,
    params: &[&dyn rusqlite::ToSql],
    table: &str,
    data: &Packed,
) -> rusqlite::Result<()> {
    let zeros = rusqlite::blob::ZeroBlob(data.len() as u64);
    let mut all: Vec<&dyn rusqlite::ToSql> = params.to_vec();
    all.push(&zeros);
    insert.execute(all.as_slice())?;
    let mut blob = conn.blob_open(
        rusqlite::MAIN_DB,
        table,
        "data",
        conn.last_insert_rowid(),
        false,
    )?;
    let mut at = 0;
    // Bytes that cannot be read back from their temporary file.
    let unreadable = |e| rusqlite::Error::ToSqlConversionFailure(Box::new(e));
    data.for_each_chunk(unreadable, |chunk| {
        blob.write_all_at(chunk, at)?;
        at += chunk.len();
        Ok(())
    })?;
    blob.close()
}

/// The `data` blob of the `table` row whose id `select` returns, read with
/// incremental blob I/O (straight into one buffer, not through SQLite's
/// copy of the row), or `None` when there is no such row.
fn read_blob(
    conn: &Connection,
    table: &str,
    select: &str,
    params: &[&dyn rusqlite::ToSql],
) -> rusqlite::Result<Option<Vec<u8>>> {
    let Some(id) = conn
        .query_row(select, params, |r| r.get::<_, i64>(0))
        .optional()?
    else {
        return Ok(None);
    };
    let blob = conn.blob_open(rusqlite::MAIN_DB, table, "data", id, true)?;
    let mut data = vec![0; blob.len()];
    blob.read_at_exact(&mut data, 0)?;
    blob.close()?;
    Ok(Some(data))
}

/// The chain hash of the last run recorded (of any project), or the
/// genesis hash.
fn last_hash(conn: &Connection) -> rusqlite::Result<String> {
    Ok(conn
        .query_row("SELECT hash FROM runs ORDER BY id DESC LIMIT 1", [], |r| {
            r.get(0)
        })
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string()))
}

/// A run's next lifecycle state, encoded before the run is recorded, from
/// the state stored after the run whose chain hash is `after`.
#[derive(Debug)]
pub struct StateAhead {
    data: Packed,
    after: String,
}

impl Store {
    /// Encode a run's next lifecycle state ahead of recording it, from the
    /// state stored now (read as it is walked, straight from the store's
    /// pages: no copy of it is held). `decide` does this on a second core
    /// while the policy and the verdict are made; recording uses it if no
    /// other run was recorded since.
    pub fn encode_state_ahead(
        &self,
        meta: &crate::run::RunMeta,
        u: &crate::lifecycle::LifecycleUpdate,
    ) -> Result<StateAhead> {
        let err = |m: String| self.err(m);
        // One read snapshot: the last run and the state agree.
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(|e| err(e.to_string()))?;
        let after = last_hash(&tx).map_err(|e| err(e.to_string()))?;
        let branch = meta.branch.as_deref().unwrap_or("");
        let st = read_state_in_place(&tx, &meta.project, branch).map_err(err)?;
        let new = u.new_entries(None).map_err(err)?;
        let data =
            encode_next_state(&st, meta, u, &new, Packed::beside(&self.path)).map_err(err)?;
        drop(st);
        tx.commit().map_err(|e| err(e.to_string()))?;
        Ok(StateAhead { data, after })
    }
}

/// The stored lifecycle state of a project and branch, to be read from the
/// store's pages as it is walked; `None` when there is none or it is not an
/// LZ4 frame (and is to be read whole with [`read_state`]).
fn state_row<'c>(
    conn: &'c Connection,
    project: &str,
    branch: &str,
) -> std::result::Result<Option<StateRow<'c>>, String> {
    let id = conn
        .query_row(
            "SELECT id FROM lifecycle_state WHERE project = ?1 AND branch = ?2",
            params![project, branch],
            |r| r.get::<_, i64>(0),
        )
        .optional()
        .map_err(|e| e.to_string())?;
    let Some(id) = id else {
        return Ok(None);
    };
    let row = StateRow { conn, id };
    Ok(row.starts().then_some(row))
}

/// A stored state as [`state_row`] finds it, else read whole.
enum InPlace<'c> {
    Row(StateRow<'c>),
    Whole(StateBytes),
}

impl StoredState for InPlace<'_> {
    fn is_empty(&self) -> bool {
        match self {
            InPlace::Row(r) => r.is_empty(),
            InPlace::Whole(b) => b.is_empty(),
        }
    }

    fn source(&self) -> std::result::Result<Box<dyn std::io::Read + '_>, String> {
        match self {
            InPlace::Row(r) => r.source(),
            InPlace::Whole(b) => b.source(),
        }
    }
}

fn read_state_in_place<'c>(
    conn: &'c Connection,
    project: &str,
    branch: &str,
) -> std::result::Result<InPlace<'c>, String> {
    Ok(match state_row(conn, project, branch)? {
        Some(row) => InPlace::Row(row),
        None => InPlace::Whole(read_state(conn, project, branch)?),
    })
}

fn read_state(
    conn: &Connection,
    project: &str,
    branch: &str,
) -> std::result::Result<StateBytes, String> {
    let blob = read_blob(
        conn,
        "lifecycle_state",
        "SELECT id FROM lifecycle_state WHERE project = ?1 AND branch = ?2",
        params![project, branch],
    )
    .map_err(|e| e.to_string())?;
    match blob {
        // A frame is kept as it is stored, unless its first block cannot be
        // decompressed (a size-prefixed block whose size spells the magic).
        Some(b) if b.starts_with(&LZ4_FRAME_MAGIC) => match StateBytes::Frame(b) {
            f if f.starts() => Ok(f),
            StateBytes::Frame(b) | StateBytes::Json(b) => Ok(StateBytes::Json(unpack(&b)?)),
        },
        Some(b) => Ok(StateBytes::Json(unpack(&b)?)),
        None => Ok(StateBytes::Json(Vec::new())),
    }
}

/// The stored lifecycle state with a run's delta applied, encoded. Streamed
/// from borrowed strings: the stored issues in order with this run's changes
/// applied, then the new ones (`new_entries`: borrowed from the update, or,
/// when the update was shed, the copies [`LifecycleUpdate::new_entries`]
/// rebuilt from the verdict); it builds no list of stored entries.
///
/// [`LifecycleUpdate::new_entries`]: crate::lifecycle::LifecycleUpdate::new_entries
fn encode_next_state(
    st: &impl StoredState,
    meta: &crate::run::RunMeta,
    u: &crate::lifecycle::LifecycleUpdate,
    new_entries: &[crate::lifecycle::NewIssue],
    out: Packed,
) -> std::result::Result<Packed, String> {
    use crate::model::FastSet;
    let project = meta.project.as_str();
    let fixed: FastSet<&str> = u.fixed.iter().map(|(i, _, _)| i.as_str()).collect();
    let reintroduced: Vec<String> = u.reintroduced.iter().map(|i| i.to_string()).collect();
    let reintroduced: FastSet<&str> = reintroduced.iter().map(String::as_str).collect();
    // Of this run's new identities and fingerprints, those not stored yet
    // (another run may have committed since the history was read): the
    // stored state is walked for them only when there are any (a run that
    // finds what the last one found has none).
    // (The new identities' texts are written out once, and only then.)
    let mut scratch = String::new();
    let stored_any = !st.is_empty();
    let texts: Vec<String> = if stored_any {
        new_entries
            .iter()
            .map(|(i, _, _)| i.text(&mut scratch).to_owned())
            .collect()
    } else {
        Vec::new()
    };
    let mut unstored: FastSet<&str> = texts.iter().map(String::as_str).collect();
    let mut unstored_fps: FastSet<&str> = FastSet::default();
    if stored_any {
        unstored_fps.extend(u.fingerprints.iter().map(|(f, _)| &**f));
    }
    if !unstored.is_empty() || !unstored_fps.is_empty() {
        st.walk(
            project,
            |(identity, ..)| {
                unstored.remove(&*identity);
            },
            |(fp, _)| {
                unstored_fps.remove(&*fp);
            },
        )?;
    }
    // Each new identity once: the entries left out are listed (ascending;
    // usually none), those seen are told by a table of their indices. For
    // a first run of 200k issues that is 1.3 MB while this runs beside the
    // policy, not a 2.4 MB set of pointers and a 1.6 MB list of those kept.
    let mut skip: Vec<usize> = Vec::new();
    {
        let hasher = foldhash::fast::RandomState::default();
        let hash = |k: u32| std::hash::BuildHasher::hash_one(&hasher, &new_entries[k as usize].0);
        let mut added: hashbrown::HashTable<u32> =
            hashbrown::HashTable::with_capacity(new_entries.len());
        for (k, (i, _, _)) in new_entries.iter().enumerate() {
            let unstored = !stored_any || unstored.contains(texts[k].as_str());
            let first = unstored
                && match added.entry(
                    hash(k as u32),
                    |&j| new_entries[j as usize].0 == *i,
                    |&j| hash(j),
                ) {
                    hashbrown::hash_table::Entry::Occupied(_) => false,
                    hashbrown::hash_table::Entry::Vacant(v) => {
                        v.insert(k as u32);
                        true
                    }
                };
            if !first {
                skip.push(k);
            }
        }
    } // the table is freed before the encoding starts
    let mut left_out = skip.iter().peekable();
    let new = new_entries
        .iter()
        .enumerate()
        .filter(move |&(k, _)| left_out.next_if(|&&s| s == k).is_none())
        .map(|(_, entry)| entry);
    drop(unstored);
    drop(texts);
    let time = meta.time.as_str();
    // Fixed now wins over reintroduced (an identity is never both).
    fn fixed_at<'a>(
        i: &str,
        at: Option<&'a str>,
        time: &'a str,
        fixed: &FastSet<&str>,
        reintroduced: &FastSet<&str>,
    ) -> Option<&'a str> {
        if fixed.contains(i) {
            Some(time)
        } else if reintroduced.contains(i) {
            None
        } else {
            at
        }
    }
    // The times: the stored state's, and this run's when it is written
    // (as the first sighting of a new issue, or the fix of a stored one).
    let stored_times = st.times();
    let mut times: Table<&str> = Table::default();
    for t in &stored_times {
        times.index(t.as_str());
    }
    if new_entries.len() > skip.len() || !fixed.is_empty() {
        times.index(time);
    }
    fn index_of<'t>(times: &Table<&str>, t: &'t str) -> TimeOut<'t> {
        match times.index.get(t) {
            Some(&i) => TimeOut::Index(i),
            None => TimeOut::Text(t),
        }
    }
    pack_into(out, |w| {
        let mut out = JsonList::new(w);
        // The times; the stored issues in order with this run's changes
        // applied, then the new ones; the stored fingerprints, then the new
        // ones.
        out.raw(b"{\"times\":");
        out.item(&times.items);
        out.raw(b",\"issues\":[");
        st.walk(
            project,
            |(i, id, sev, first, at)| {
                let at = fixed_at(&i, at.as_deref(), time, &fixed, &reintroduced);
                let id = id.as_deref().and_then(|id| stored_id(&i, id));
                let at = at.map(|t| index_of(&times, t));
                out.item(&(&*i, id, &*sev, index_of(&times, &first), at));
            },
            |_| {},
        )?;
        for (i, id, sev) in new {
            let at = if fixed.is_empty() && reintroduced.is_empty() {
                None
            } else {
                fixed_at(i.text(&mut scratch), None, time, &fixed, &reintroduced)
            };
            let own = match i {
                crate::correlate::Identity::Fingerprint(f) => {
                    crate::correlate::IssueId::of_hex(f).as_ref() == Some(id)
                }
                crate::correlate::Identity::Text(_) => false,
            };
            let id = (!own).then_some(id);
            let at = at.map(|t| index_of(&times, t));
            out.item(&(i, id, sev.as_str(), index_of(&times, time), at));
        }
        out.raw(b"],\"fingerprints\":[");
        st.walk(project, |_| {}, |(f, i)| out.item(&(&*f, &*i)))?;
        for (f, i) in
            (u.fingerprints.iter()).filter(|(f, _)| !stored_any || unstored_fps.contains(&**f))
        {
            out.item(&(&**f, i));
        }
        out.raw(b"]}");
        out.finish()
    })
}

/// Writes the items of JSON arrays with their separators, keeping the first
/// write error.
struct JsonList<W: std::io::Write> {
    w: W,
    first: bool,
    err: Option<String>,
}

impl<W: std::io::Write> JsonList<W> {
    fn new(w: W) -> Self {
        JsonList {
            w,
            first: true,
            err: None,
        }
    }

    /// Raw JSON text; the next item is the first of its array.
    fn raw(&mut self, text: &[u8]) {
        if self.err.is_none()
            && let Err(e) = self.w.write_all(text)
        {
            self.err = Some(e.to_string());
        }
        self.first = true;
    }

    fn item<T: serde::Serialize>(&mut self, v: &T) {
        if self.err.is_some() {
            return;
        }
        let sep = if self.first {
            Ok(())
        } else {
            self.w.write_all(b",")
        };
        self.first = false;
        let written = sep
            .map_err(|e| e.to_string())
            .and_then(|()| serde_json::to_writer(&mut self.w, v).map_err(|e| e.to_string()));
        if let Err(e) = written {
            self.err = Some(e);
        }
    }

    fn finish(mut self) -> std::result::Result<(), String> {
        if let Some(e) = self.err {
            return Err(e);
        }
        self.w.flush().map_err(|e| e.to_string())
    }
}

/// Write a run's next lifecycle state (encoded from the state read inside
/// the recording transaction) and the fix durations it observed.
fn write_lifecycle(
    tx: &rusqlite::Transaction<'_>,
    run_id: i64,
    meta: &crate::run::RunMeta,
    u: &crate::lifecycle::LifecycleUpdate,
    data: &Packed,
) -> std::result::Result<(), String> {
    let branch = meta.branch.as_deref().unwrap_or("");
    let mut st = tx
        .prepare(
            "INSERT OR REPLACE INTO lifecycle_state (project, branch, data) VALUES (?1, ?2, ?3)",
        )
        .map_err(|e| e.to_string())?;
    insert_blob(
        tx,
        &mut st,
        params![meta.project, branch],
        "lifecycle_state",
        data,
    )
    .map_err(|e| e.to_string())?;
    let mut dur = tx
        .prepare("INSERT OR REPLACE INTO fix_durations VALUES (?1, ?2, ?3, ?4, ?5)")
        .map_err(|e| e.to_string())?;
    for (identity, sev, days) in &u.fixed {
        if let Some(d) = days {
            dur.execute(params![meta.project, sev, identity, run_id, d])
                .map_err(|e| e.to_string())?;
        }
    }
    Ok(())
}

impl Store {
    /// The lifecycle history of a project and branch.
    pub fn history(
        &self,
        project: &str,
        branch: Option<&str>,
    ) -> Result<crate::lifecycle::History> {
        use crate::lifecycle::History;
        let branch = branch.unwrap_or("");
        let mut h = History::default();
        h.source = "none (first run of this project and branch)".into();
        // Most issues share their severity word and the time of the run
        // that first saw them: the history keeps each once.
        let mut fingerprints = std::mem::take(&mut h.fingerprints);
        // A frame is read from the store's pages as it is walked (in one
        // read snapshot); another state is read whole.
        let tx = self.conn.unchecked_transaction().map_err(|e| self.err(e))?;
        read_state_in_place(&tx, project, branch)
            .map_err(|e| self.err(e))?
            .walk(
                project,
                |(identity, issue_id, severity, first_seen, fixed_at)| {
                    let issue_id = match issue_id {
                        Some(id) => crate::correlate::IssueId::from_text(&id),
                        None => own_id(&identity)
                            .unwrap_or_else(|| crate::correlate::IssueId::derive(&identity)),
                    };
                    h.insert(
                        &identity,
                        issue_id,
                        &severity,
                        &first_seen,
                        fixed_at.as_deref(),
                    );
                },
                |(fp, identity)| {
                    fingerprints.insert(fp.to_string(), (*identity).into());
                },
            )
            .map_err(|e| self.err(e))?;
        drop(tx);
        h.fingerprints = fingerprints;
        h.present = h.known_len() > 0;
        let prev: Option<i64> = self
            .conn
            .query_row(
                "SELECT max(id) FROM runs WHERE project = ?1 AND coalesce(branch, '') = ?2 AND command = 'decide'",
                params![project, branch],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))?;
        if let Some(id) = prev {
            h.present = true;
            h.source = format!(
                "run {id} of {project}{}",
                if branch.is_empty() {
                    String::new()
                } else {
                    format!(" ({branch})")
                }
            );
        }
        Ok(h)
    }

    /// Observed fix durations in days, per severity, for a project.
    pub fn fix_durations(
        &self,
        project: &str,
    ) -> Result<std::collections::BTreeMap<String, Vec<f64>>> {
        let mut st = self
            .conn
            .prepare("SELECT severity, days FROM fix_durations WHERE project = ?1 ORDER BY fixed_run, identity")
            .map_err(|e| self.err(e))?;
        let rows = st
            .query_map([project], |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, f64>(1)?))
            })
            .map_err(|e| self.err(e))?;
        let mut out: std::collections::BTreeMap<String, Vec<f64>> = Default::default();
        for row in rows {
            let (s, d) = row.map_err(|e| self.err(e))?;
            out.entry(s).or_default().push(d);
        }
        Ok(out)
    }

    /// The newest `decide` run, optionally of one project.
    pub fn latest_decide(&self, project: Option<&str>) -> Result<Option<i64>> {
        self.conn
            .query_row(
                "SELECT max(id) FROM runs WHERE command = 'decide' AND (?1 IS NULL OR project = ?1)",
                [project],
                |r| r.get(0),
            )
            .map_err(|e| self.err(e))
    }

    /// The findings of a recorded run, rebuilt from its findings blob with
    /// the fields correlation uses (identity, rule, place, CWEs,
    /// vulnerability and package). Reads both layouts: the tables and rows
    /// of [`write_findings`], and the list of objects written before.
    pub fn findings_of(&self, run_id: i64) -> Result<Vec<crate::model::Finding>> {
        let Some(blob) = self.blob(run_id, "findings")? else {
            return Err(self.err(format!("run {run_id} has no recorded findings")));
        };
        read_findings(&blob).map_err(|e| self.err(format!("run {run_id} findings: {e}")))
    }

    /// The issues of a recorded `decide` run, as the list of objects an
    /// [`IssueRecord`](crate::verdict::IssueRecord) serializes to; `None`
    /// for a run without issues recorded (not a `decide` run). Reads both
    /// layouts: the rows and table of [`write_issues`], and the list of
    /// objects written before.
    pub fn issues_of(&self, run_id: i64) -> Result<Option<serde_json::Value>> {
        let Some(blob) = self.blob(run_id, "issues")? else {
            return Ok(None);
        };
        read_issues(&blob)
            .map(Some)
            .map_err(|e| self.err(format!("run {run_id} issues: {e}")))
    }

    /// A stored blob of a run (`findings`, `components`, `statements`, and for
    /// `decide` runs `verdict` (the summary) and `issues`).
    pub fn blob(&self, run_id: i64, kind: &str) -> Result<Option<Vec<u8>>> {
        let stored = read_blob(
            &self.conn,
            "run_blobs",
            "SELECT id FROM run_blobs WHERE run_id = ?1 AND kind = ?2",
            params![run_id, kind],
        )
        .map_err(|e| self.err(e))?;
        stored
            .map(|b| unpack(&b).map_err(|m| self.err(format!("run {run_id} {kind}: {m}"))))
            .transpose()
    }
}

/// Digest of everything a run records: its identity, its inputs' digests,
/// the digest of each stored blob (findings with their issues and
/// decisions, issues, components, statements, verdict) and the verdict.
fn content_digest(
    meta: &crate::run::RunMeta,
    verdict: Option<(&str, &str)>,
    inputs: &[(String, String)],
    blobs: &[(&str, &str)],
) -> String {
    let mut h = Sha256::new();
    let mut put = |s: &str| {
        h.update((s.len() as u64).to_le_bytes());
        h.update(s.as_bytes());
    };
    put(&meta.project);
    put(meta.branch.as_deref().unwrap_or(""));
    put(&meta.time);
    put(&meta.command);
    for (path, sha) in inputs {
        put(path);
        put(sha);
    }
    for (kind, digest) in blobs {
        put(kind);
        put(digest);
    }
    if let Some((word, policy)) = verdict {
        put(word);
        put(policy);
    }
    hex::encode(h.finalize())
}

fn chain_hash(prev: &str, content: &str) -> String {
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(content.as_bytes());
    hex::encode(h.finalize())
}

fn create_private_dir(dir: &Path) -> std::io::Result<()> {
    if dir.is_dir() {
        return Ok(());
    }
    let mut b = std::fs::DirBuilder::new();
    b.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        b.mode(0o700);
    }
    b.create(dir)
}

fn restrict_permissions(path: &Path) {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let _ = std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600));
    }
    #[cfg(not(unix))]
    let _ = path;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::correlate::{Identity, IssueId};
    use crate::ingest::Ingested;
    use crate::model::Severity;
    use crate::run::{Run, RunMeta};

    fn empty_run(time: &str) -> Run {
        Run::assemble(
            RunMeta {
                project: "p".into(),
                branch: None,
                time: time.into(),
                command: "ingest".into(),
            },
            Ingested::default(),
        )
    }

    #[test]
    fn chain_links_runs_and_detects_tampering() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("nested/dir/s.db");
        let mut s = Store::open(&db).unwrap();
        let a = s
            .record(&empty_run("2026-01-01T00:00:00Z"), None, None)
            .unwrap();
        let b = s
            .record(&empty_run("2026-01-02T00:00:00Z"), None, None)
            .unwrap();
        assert_ne!(a.hash, b.hash);
        assert_eq!(s.verify_chain().unwrap(), Ok(2));
        s.conn
            .execute(
                "UPDATE runs SET time = '2025-01-01T00:00:00Z', content_digest = 'x' WHERE id = ?1",
                [a.run_id],
            )
            .unwrap();
        assert_eq!(s.verify_chain().unwrap(), Err(a.run_id));
    }

    #[test]
    fn edited_contents_break_the_chain() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("s.db")).unwrap();
        let a = s
            .record(&empty_run("2026-01-01T00:00:00Z"), None, None)
            .unwrap();
        s.record(&empty_run("2026-01-02T00:00:00Z"), None, None)
            .unwrap();
        assert_eq!(s.verify_chain().unwrap(), Ok(2));
        // Replace a blob and its recorded digest consistently: the run's
        // content digest no longer recomputes.
        let forged = b"[[0,{\"bom_ref\":\"x\",\"name\":\"x\"}]]".to_vec();
        let sha = hex::encode(Sha256::digest(&forged));
        s.conn
            .execute(
                "UPDATE run_blobs SET data = ?1, sha256 = ?2 WHERE run_id = ?3 AND kind = 'components'",
                params![forged, sha, a.run_id],
            )
            .unwrap();
        assert_eq!(s.verify_chain().unwrap(), Err(a.run_id));
    }

    #[test]
    fn reopening_migrates_once_and_refuses_newer_schemas() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        drop(Store::open(&db).unwrap());
        let s = Store::open(&db).unwrap();
        s.conn.pragma_update(None, "user_version", 99).unwrap();
        drop(s);
        let err = Store::open(&db).err().unwrap().to_string();
        assert!(err.contains("schema version 99 is newer"), "{err}");
    }

    #[test]
    fn new_stores_get_large_pages_and_existing_files_keep_theirs() {
        let dir = tempfile::tempdir().unwrap();
        let page_size = |s: &Store| -> i64 {
            s.conn
                .pragma_query_value(None, "page_size", |r| r.get(0))
                .unwrap()
        };
        assert_eq!(
            page_size(&Store::open(&dir.path().join("new.db")).unwrap()),
            65536
        );
        let old = dir.path().join("old.db");
        let c = Connection::open(&old).unwrap();
        c.execute_batch("PRAGMA page_size = 4096; CREATE TABLE t (x);")
            .unwrap();
        drop(c);
        let s = Store::open(&old).unwrap();
        assert_eq!(page_size(&s), 4096);
        assert_eq!(s.verify_chain().unwrap(), Ok(0));
    }

    #[test]
    fn recorded_findings_read_back_with_one_tool_per_name() {
        use crate::model::{Finding, Fingerprint, FingerprintSource, Tool};
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("s.db")).unwrap();
        let mut run = empty_run("2026-01-01T00:00:00Z");
        for (tool, rule) in [("Semgrep", "a"), ("CodeQL", "b"), ("Semgrep", "c")] {
            let tool = Tool {
                name: tool.into(),
                version: None,
            };
            let fp = Fingerprint::for_code(rule, "src/x.py", rule, FingerprintSource::Message);
            std::sync::Arc::make_mut(&mut run.findings).push(Finding::new(
                tool,
                Some(rule.into()),
                "m",
                fp,
            ));
        }
        let id = s.record(&run, None, None).unwrap().run_id;
        let back = s.findings_of(id).unwrap();
        let names: Vec<&str> = back.iter().map(|f| &*f.tool.name).collect();
        assert_eq!(names, ["Semgrep", "CodeQL", "Semgrep"]);
        assert!(std::sync::Arc::ptr_eq(&back[0].tool, &back[2].tool));
        assert!(!std::sync::Arc::ptr_eq(&back[0].tool, &back[1].tool));
        assert_eq!(back[2].rule_id.as_deref(), Some("c"));
    }

    /// What the findings blob keeps of a finding, comparable.
    fn kept(f: &crate::model::Finding) -> String {
        let v = f.vulnerability.as_deref();
        let p = v.and_then(|v| v.package.as_ref());
        format!(
            "{} {} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?} {:?}",
            f.fingerprint.value,
            f.tool.name,
            f.rule_id,
            f.severity,
            f.score,
            f.primary_location().and_then(|l| l.uri.clone()),
            f.primary_location().and_then(|l| l.start_line),
            f.cwes,
            v.map(|v| &v.id),
            v.map(|v| &v.aliases),
            p.and_then(|p| p.purl.clone()),
            p.and_then(|p| p.name.clone()),
            p.and_then(|p| p.version.clone()),
        )
    }

    /// Findings with and without rule, place, CWEs and vulnerability, and
    /// texts that need escaping.
    fn varied_findings() -> Vec<crate::model::Finding> {
        use crate::model::*;
        let tool = |n: &str| {
            std::sync::Arc::new(Tool {
                name: n.into(),
                version: None,
            })
        };
        let fp = |s: &str| Fingerprint {
            value: s.into(),
            source: FingerprintSource::Producer,
        };
        let at = |uri: &str, line: Option<u32>| -> Box<[Location]> {
            vec![Location {
                uri: Some(uri.into()),
                start_line: line,
                ..Default::default()
            }]
            .into()
        };
        let cwe: Syms = vec![Sym::from("CWE-79"), Sym::from("CWE-80")].into();
        let mut a = Finding::new(tool("Semgrep"), Some("r/\"x\"".into()), "m", fp("a"));
        a.severity = Severity::High;
        a.score = Some(8.1);
        a.locations = at("src/a \u{e9}.py", Some(3));
        a.cwes = cwe.clone();
        let mut b = Finding::new(tool("Semgrep"), None, "m", fp("b"));
        b.locations = at("src/a \u{e9}.py", None);
        let mut c = Finding::new(tool("Trivy"), Some("CVE-1".into()), "m", fp("c"));
        c.severity = Severity::Critical;
        c.fingerprint = Fingerprint::for_package("CVE-1", "pkg:npm/x", "1.0");
        c.cwes = cwe;
        c.vulnerability = Some(Box::new(VulnerabilityRef {
            id: "CVE-1".into(),
            aliases: vec!["GHSA-1".into()],
            package: Some(PackageRef {
                name: Some("x".into()),
                version: Some("1.0".into()),
                purl: Some("pkg:npm/x@1.0".into()),
                fixed_version: None,
            }),
            cvss_vectors: vec![],
        }));
        let mut d = Finding::new(tool("Trivy"), Some("CVE-2".into()), "m", fp("d"));
        d.vulnerability = Some(Box::new(VulnerabilityRef {
            id: "CVE-2".into(),
            aliases: vec![],
            package: Some(PackageRef::default()),
            cvss_vectors: vec![],
        }));
        let e = Finding::new(tool("Semgrep"), Some("r/\"x\"".into()), "m", fp("e"));
        vec![a, b, c, d, e]
    }

    #[test]
    fn recorded_findings_read_back_with_what_the_blob_keeps() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("s.db")).unwrap();
        let mut run = empty_run("2026-01-01T00:00:00Z");
        run.findings = std::sync::Arc::new(varied_findings());
        let id = s.record(&run, None, None).unwrap().run_id;
        let back = s.findings_of(id).unwrap();
        let want: Vec<String> = run.findings.iter().map(kept).collect();
        let got: Vec<String> = back.iter().map(kept).collect();
        assert_eq!(got, want);
        // Each text once: two findings of one rule, two of one path.
        let json = String::from_utf8(s.blob(id, "findings").unwrap().unwrap()).unwrap();
        assert_eq!(json.matches("src/a").count(), 1, "{json}");
        assert_eq!(json.matches("Semgrep").count(), 1, "{json}");
        assert_eq!(json.matches("CWE-79").count(), 1, "{json}");
        assert!(std::sync::Arc::ptr_eq(
            back[0].rule_id.as_ref().unwrap(),
            back[4].rule_id.as_ref().unwrap()
        ));
    }

    #[test]
    fn findings_recorded_as_a_list_of_objects_still_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("s.db")).unwrap();
        let run = empty_run("2026-01-01T00:00:00Z");
        let id = s.record(&run, None, None).unwrap().run_id;
        // The layout of runs recorded before the tables.
        let older = serde_json::json!([
            {"fp":"a","tool":"Semgrep","rule":"r/\"x\"","sev":"high","score":8.1,
             "path":"src/a \u{e9}.py","line":3,"vuln":null,"purl":null,
             "cwes":["CWE-79","CWE-80"],"input":0},
            {"fp":"b","tool":"Semgrep","rule":null,"sev":"unknown","score":null,
             "path":"src/a \u{e9}.py","line":null,"vuln":null,"purl":null,"input":0},
            {"fp":"package CVE-1 pkg:npm/x 1.0","tool":"Trivy","rule":"CVE-1","sev":"critical",
             "score":null,"path":null,"line":null,"vuln":"CVE-1","aliases":["GHSA-1"],
             "purl":"pkg:npm/x@1.0","pkg":"x","version":"1.0","cwes":["CWE-79","CWE-80"],"input":0},
            {"fp":"d","tool":"Trivy","rule":"CVE-2","sev":"unknown","score":null,"path":null,
             "line":null,"vuln":"CVE-2","purl":null,"input":0},
            {"fp":"e","tool":"Semgrep","rule":"r/\"x\"","sev":"unknown","score":null,"path":null,
             "line":null,"vuln":null,"purl":null,"input":0}
        ]);
        let (data, digest) = pack_json(&older).unwrap();
        s.conn
            .execute(
                "UPDATE run_blobs SET data = ?1, sha256 = ?2 WHERE run_id = ?3 AND kind = 'findings'",
                params![data.to_vec(), digest, id],
            )
            .unwrap();
        let mut want = varied_findings();
        want[2].fingerprint.value = "package CVE-1 pkg:npm/x 1.0".into();
        let want: Vec<String> = want.iter().map(kept).collect();
        let got: Vec<String> = s.findings_of(id).unwrap().iter().map(kept).collect();
        assert_eq!(got, want);
    }

    #[test]
    fn a_findings_blob_naming_a_missing_table_entry_is_an_error() {
        for (rows, what) in [
            (r#"[["a",0,5,"low",null,null,null,null,0,null]]"#, "rule 5"),
            (
                r#"[["a",1,null,"low",null,null,null,null,0,null]]"#,
                "tool 1",
            ),
            (r#"[["a",0,null,"low",null,0,null,null,0,null]]"#, "path 0"),
            (
                r#"[["a",0,null,"low",null,null,null,2,0,null]]"#,
                "CWE list 2",
            ),
        ] {
            let blob = format!(
                r#"{{"findings":{rows},"tools":["T"],"rules":["r"],"paths":[],"cwes":[[]]}}"#
            );
            let e = read_findings(blob.as_bytes()).unwrap_err();
            assert!(e.contains(what), "{e}");
        }
        let e = read_findings(br#"{"findings":[["a",0]],"tools":["T"]}"#).unwrap_err();
        assert!(e.contains("invalid length"), "{e}");
    }

    #[test]
    fn issues_read_back_as_the_objects_their_records_serialize_to() {
        use crate::correlate::{Identity, IssueId, Strategy};
        use crate::model::{Severity, Sym, VexStatus};
        use crate::verdict::{Decision, IssueRecord};
        let (semgrep, both): (Vec<Sym>, Vec<Sym>) = (
            vec!["Semgrep".into()],
            vec!["Grype".into(), "Trivy \"x\"".into()],
        );
        let (id_a, id_b, id_c) = (
            IssueId::derive("a"),
            IssueId::derive("b"),
            IssueId::derive("c"),
        );
        let text = Identity::Text("vuln CVE-1 pkg:npm/x 1.0".into());
        let records = || {
            vec![
                IssueRecord {
                    id: &id_a,
                    identity: None,
                    lifecycle: crate::lifecycle::Status::New,
                    severity: Severity::High,
                    decision: Decision::Block,
                    vulnerability: None,
                    tools: &semgrep,
                    findings: &[0],
                    merged_by: Default::default(),
                    vex: None,
                    waiver: None,
                    risk: Some(4.59619407771256),
                },
                IssueRecord {
                    id: &id_b,
                    identity: Some(&text),
                    lifecycle: crate::lifecycle::Status::Unchanged,
                    severity: Severity::Critical,
                    decision: Decision::Allow,
                    vulnerability: Some("CVE-1"),
                    tools: &both,
                    findings: &[1, 2],
                    merged_by: [Strategy::Taxonomy, Strategy::Fingerprint]
                        .into_iter()
                        .collect(),
                    vex: Some(VexStatus::NotAffected),
                    waiver: Some("W-1"),
                    risk: None,
                },
                IssueRecord {
                    id: &id_c,
                    identity: None,
                    lifecycle: crate::lifecycle::Status::Reintroduced,
                    severity: Severity::Low,
                    decision: Decision::Defer,
                    vulnerability: None,
                    tools: &semgrep,
                    findings: &[3],
                    merged_by: Default::default(),
                    vex: None,
                    waiver: None,
                    risk: Some(0.1),
                },
            ]
        };
        let want = serde_json::to_value(records()).unwrap();
        let data = pack_into(Packed::default(), |w| {
            write_issues(w, records().into_iter())
        })
        .unwrap()
        .to_vec();
        let json = unpack(&data).unwrap();
        // One tool list per distinct list.
        assert_eq!(String::from_utf8_lossy(&json).matches("Semgrep").count(), 1);
        assert_eq!(read_issues(&json).unwrap(), want);
        // Runs recorded before the rows kept the objects themselves.
        assert_eq!(
            read_issues(&serde_json::to_vec(&want).unwrap()).unwrap(),
            want
        );
        let e = read_issues(br#"{"issues":[["I-1",null,"new","low","ALLOW",null,1,[0],null,null,null,null]],"tools":[[]]}"#)
            .unwrap_err();
        assert!(e.contains("tool list 1"), "{e}");
    }

    #[test]
    fn blobs_read_both_lz4_frames_and_older_size_prefixed_blocks() {
        let json = br#"[{"fp":"a"},{"fp":"b"}]"#;
        let value = serde_json::from_slice::<serde_json::Value>(json).unwrap();
        let framed = pack_json(&value).unwrap().0.to_vec();
        assert!(framed.starts_with(&LZ4_FRAME_MAGIC));
        assert_eq!(unpack(&framed).unwrap(), json.to_vec());
        let block = lz4_flex::compress_prepend_size(json);
        assert_eq!(unpack(&block).unwrap(), json.to_vec());
        let mut torn = framed.clone();
        torn.truncate(framed.len() - 3);
        assert!(unpack(&torn).unwrap_err().contains("corrupt"));
    }

    #[test]
    fn staged_lists_pack_to_the_frames_a_whole_json_write_gives() {
        // A blob's digest covers its compressed bytes, so the frame must not
        // depend on how the JSON reached the encoder: the items one by one
        // through `Staged` give the frame of the whole array written in one
        // 64 KiB piece after another (the first piece fixes the block size).
        let reference = |json: &[u8]| {
            let info = lz4_flex::frame::FrameInfo::new().content_checksum(true);
            let mut enc = lz4_flex::frame::FrameEncoder::with_frame_info(info, Vec::new());
            for piece in json.chunks(STAGED) {
                std::io::Write::write_all(&mut enc, piece).unwrap();
            }
            enc.finish().unwrap()
        };
        // The items as a JSON array, each serialized into the plain buffer
        // as the large blobs' writers do.
        let pack_seq_into = |out: Packed, items: &[(usize, String)]| {
            let data = pack_into(out, |w| {
                let mut list = JsonList::new(w);
                list.raw(b"[");
                for item in items {
                    list.item(item);
                }
                list.raw(b"]");
                list.finish()
            })
            .unwrap();
            let digest = data.digest();
            (data, digest)
        };
        let sizes = [0usize, 1, 3, 2_000, 9_000];
        for n in sizes {
            // Items of uneven sizes, some with characters to escape; 9000 of
            // them make about 600 KB, several blocks.
            let items: Vec<(usize, String)> = (0..n)
                .map(|i| (i, format!("item \"{i}\" {}", "x".repeat(i % 97))))
                .collect();
            let json = serde_json::to_vec(&items).unwrap();
            let (packed, digest) = pack_seq_into(Packed::default(), &items);
            let packed = packed.to_vec();
            assert_eq!(unpack(&packed).unwrap(), json, "{n} items");
            assert_eq!(packed, reference(&json), "{n} items");
            assert_eq!(digest, hex::encode(Sha256::digest(&packed)));
            // The same through the serializer of the small blobs.
            let whole = pack_json(&items).unwrap().0.to_vec();
            assert_eq!(whole, packed, "{n} items");
            // The same compressed on a second thread, into memory or a file.
            let dir = tempfile::tempdir().unwrap();
            for out in [Packed::default(), Packed::beside(&dir.path().join("s.db"))] {
                let piped = pack_piped(out, |w| {
                    let mut list = JsonList::new(w);
                    list.raw(b"[");
                    for item in &items {
                        list.item(item);
                    }
                    list.raw(b"]");
                    list.finish()
                })
                .unwrap();
                assert_eq!(piped.digest(), digest, "{n} items");
                assert_eq!(piped.to_vec(), packed, "{n} items");
            }
        }
        // A writer's error is given back, whether the compressing thread
        // has had bytes or not.
        for before in [0usize, 500_000] {
            let err = pack_piped(Packed::default(), |w| {
                std::io::Write::write_all(w, &vec![b'x'; before]).map_err(|e| e.to_string())?;
                Err("the writer failed".to_string())
            })
            .unwrap_err();
            assert_eq!(err, "the writer failed");
        }
    }

    #[test]
    fn runs_recorded_through_two_handles_merge_their_lifecycles() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        // Both handles are open before either records: the second must merge
        // into the state the first committed, not the one it could have seen
        // when it opened.
        let mut a = Store::open(&db).unwrap();
        let mut b = Store::open(&db).unwrap();
        let new = |id: &str, sev| crate::lifecycle::LifecycleUpdate {
            new: vec![(Identity::Text(id.into()), IssueId::derive(id), sev)],
            ..Default::default()
        };
        assert_eq!(b.history("p", None).unwrap().known_len(), 0);
        a.record(
            &empty_run("2026-01-01T00:00:00Z"),
            None,
            Some(&new("id-a", Severity::High)),
        )
        .unwrap();
        b.record(
            &empty_run("2026-01-02T00:00:00Z"),
            None,
            Some(&new("id-b", Severity::Low)),
        )
        .unwrap();
        let st = read_state(&a.conn, "p", "").unwrap();
        let issues = st.parse("p").unwrap().issues;
        let seen: Vec<(String, String)> = issues
            .iter()
            .map(|e| (e.0.to_string(), e.3.to_string()))
            .collect();
        assert_eq!(
            seen,
            [
                ("id-a".to_string(), "2026-01-01T00:00:00Z".to_string()),
                ("id-b".to_string(), "2026-01-02T00:00:00Z".to_string())
            ]
        );
        assert_eq!(a.verify_chain().unwrap(), Ok(2));
    }

    #[test]
    fn the_next_state_holds_each_new_identity_once_and_none_stored_already() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = Store::open(&dir.path().join("s.db")).unwrap();
        let new = |ids: &[&str]| crate::lifecycle::LifecycleUpdate {
            new: ids
                .iter()
                .map(|id| {
                    (
                        Identity::Text((*id).into()),
                        IssueId::derive(id),
                        Severity::Low,
                    )
                })
                .collect(),
            ..Default::default()
        };
        let stored = |s: &Store| {
            let st = read_state(&s.conn, "p", "").unwrap();
            let issues = st.parse("p").unwrap().issues;
            issues.into_iter().map(|i| (i.0, i.3)).collect::<Vec<_>>()
        };
        let (t1, t2) = ("2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z");
        // Repeated within the run, encoded ahead of an empty store.
        let u1 = new(&["id-a", "id-b", "id-a"]);
        let ahead = s.encode_state_ahead(&empty_run(t1).meta, &u1).unwrap();
        let run = empty_run(t1);
        let findings = EncodedFindings::encode(&run).unwrap();
        s.record_encoded(&run, findings, None, Some(&u1), Some(ahead), || Ok(()))
            .unwrap();
        let want = |ids: &[(&str, &str)]| -> Vec<(String, String)> {
            ids.iter()
                .map(|(i, t)| (i.to_string(), t.to_string()))
                .collect()
        };
        assert_eq!(stored(&s), want(&[("id-a", t1), ("id-b", t1)]));
        // Encoded under the lock from a stored state: one already stored
        // (another run recorded it since this one read the history), one
        // repeated.
        s.record(
            &empty_run(t2),
            None,
            Some(&new(&["id-b", "id-c", "id-c", "id-d"])),
        )
        .unwrap();
        assert_eq!(
            stored(&s),
            want(&[("id-a", t1), ("id-b", t1), ("id-c", t2), ("id-d", t2)])
        );
    }

    #[test]
    fn a_state_encoded_ahead_is_used_only_if_no_run_was_recorded_since() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let mut a = Store::open(&db).unwrap();
        let mut b = Store::open(&db).unwrap();
        let new = |ids: &[&str], sev: Severity| crate::lifecycle::LifecycleUpdate {
            new: ids
                .iter()
                .map(|id| (Identity::Text((*id).into()), IssueId::derive(id), sev))
                .collect(),
            ..Default::default()
        };
        let record = |s: &mut Store, time: &str, u: &crate::lifecycle::LifecycleUpdate, ahead| {
            let run = empty_run(time);
            let findings = EncodedFindings::encode(&run).unwrap();
            s.record_encoded(&run, findings, None, Some(u), ahead, || Ok(()))
                .unwrap();
        };
        let stored = |s: &Store| {
            let st = read_state(&s.conn, "p", "").unwrap();
            let issues = st.parse("p").unwrap().issues;
            issues.into_iter().map(|i| (i.0, i.3)).collect::<Vec<_>>()
        };
        let (t1, t2, t3) = (
            "2026-01-01T00:00:00Z",
            "2026-01-02T00:00:00Z",
            "2026-01-03T00:00:00Z",
        );
        // A first run, encoded ahead of an empty store.
        let u1 = new(&["id-a", "id-b"], Severity::High);
        let ahead = a.encode_state_ahead(&empty_run(t1).meta, &u1).unwrap();
        record(&mut a, t1, &u1, Some(ahead));
        let want1 = vec![
            ("id-a".to_string(), t1.to_string()),
            ("id-b".into(), t1.into()),
        ];
        assert_eq!(stored(&a), want1);
        // Encoded ahead from a stored state (read from the store's pages):
        // the same as encoded under the lock.
        let u2 = new(&["id-c"], Severity::Low);
        let ahead = a.encode_state_ahead(&empty_run(t2).meta, &u2).unwrap();
        let copy = dir.path().join("copy.db");
        a.conn
            .execute("VACUUM INTO ?1", [copy.to_str().unwrap()])
            .unwrap();
        let mut c = Store::open(&copy).unwrap();
        record(&mut c, t2, &u2, None);
        record(&mut a, t2, &u2, Some(ahead));
        let mut want2 = want1.clone();
        want2.push(("id-c".into(), t2.into()));
        assert_eq!(stored(&a), want2);
        let state_blob = |s: &Store| {
            read_blob(
                &s.conn,
                "lifecycle_state",
                "SELECT id FROM lifecycle_state WHERE project = ?1",
                params!["p"],
            )
            .unwrap()
            .unwrap()
        };
        assert_eq!(state_blob(&a), state_blob(&c));
        // Another handle records a run after the state was encoded ahead:
        // it is encoded again from the state under the lock, and merges.
        let u3 = new(&["id-d"], Severity::Low);
        let stale = a.encode_state_ahead(&empty_run(t3).meta, &u3).unwrap();
        record(&mut b, t3, &new(&["id-e"], Severity::High), None);
        record(&mut a, t3, &u3, Some(stale));
        let mut want3 = want2.clone();
        want3.push(("id-e".into(), t3.into()));
        want3.push(("id-d".into(), t3.into()));
        assert_eq!(stored(&a), want3);
        assert_eq!(a.verify_chain().unwrap(), Ok(4));
    }

    #[test]
    fn blobs_round_trip_through_incremental_blob_io() {
        let dir = tempfile::tempdir().unwrap();
        let s = Store::open(&dir.path().join("s.db")).unwrap();
        // Many pages (64 KiB each), an odd length, and the empty blob.
        let big: Vec<u8> = (0..3_000_017u32).map(|i| (i * 7 % 251) as u8).collect();
        let mut st = s
            .conn
            .prepare("INSERT OR REPLACE INTO lifecycle_state (project, branch, data) VALUES (?1, ?2, ?3)")
            .unwrap();
        for (project, data) in [("big", &big[..]), ("empty", &[][..]), ("one", &[7u8][..])] {
            insert_blob(
                &s.conn,
                &mut st,
                params![project, ""],
                "lifecycle_state",
                &Packed::of(data).0,
            )
            .unwrap();
        }
        // Replacing a row writes the new blob into the new row.
        insert_blob(
            &s.conn,
            &mut st,
            params!["one", ""],
            "lifecycle_state",
            &Packed::of(&[8, 9]).0,
        )
        .unwrap();
        drop(st);
        let read = |project: &str| {
            read_blob(
                &s.conn,
                "lifecycle_state",
                "SELECT id FROM lifecycle_state WHERE project = ?1",
                params![project],
            )
            .unwrap()
        };
        assert!(read("big").unwrap() == big);
        assert_eq!(read("empty").unwrap(), Vec::<u8>::new());
        assert_eq!(read("one").unwrap(), vec![8, 9]);
        assert_eq!(read("none"), None);
    }

    #[test]
    fn blobs_kept_on_disk_until_written_store_the_same_bytes() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let s = Store::open(&db).unwrap();
        let big: Vec<u8> = (0..3_000_017u32).map(|i| (i * 13 % 241) as u8).collect();
        let mut st = s
            .conn
            .prepare("INSERT OR REPLACE INTO lifecycle_state (project, branch, data) VALUES (?1, ?2, ?3)")
            .unwrap();
        // Written in odd pieces: full chunks go to disk, the last stays in memory.
        for (project, data) in [
            ("big", &big[..]),
            ("chunk", &big[..PACKED_CHUNK]),
            ("empty", &[][..]),
        ] {
            let mut p = Packed::beside(&db);
            assert!(p.file.is_some());
            for piece in data.chunks(99_991) {
                std::io::Write::write_all(&mut p, piece).unwrap();
            }
            assert!(p.chunks.iter().map(Vec::len).sum::<usize>() <= PACKED_CHUNK);
            assert_eq!(p.len(), data.len());
            assert_eq!(p.digest(), Packed::of(data).1);
            assert!(p.to_vec() == data);
            insert_blob(
                &s.conn,
                &mut st,
                params![project, ""],
                "lifecycle_state",
                &p,
            )
            .unwrap();
            let stored = read_blob(
                &s.conn,
                "lifecycle_state",
                "SELECT id FROM lifecycle_state WHERE project = ?1",
                params![project],
            )
            .unwrap()
            .unwrap();
            assert!(stored == data, "{project}");
        }
        // Nothing is left beside the store (the files have no name).
        let names: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name().into_string().unwrap())
            .filter(|n| !n.starts_with("s.db"))
            .collect();
        assert!(names.is_empty(), "{names:?}");
        // Where no file can be made, the bytes stay in memory.
        assert!(
            Packed::beside(&dir.path().join("missing/s.db"))
                .file
                .is_none()
        );
    }

    #[test]
    fn a_store_of_schema_3_migrates_with_its_runs_chain_and_lifecycle() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("s.db");
        let mut s = Store::open(&db).unwrap();
        let u = crate::lifecycle::LifecycleUpdate {
            new: vec![(
                Identity::Text("id-a".into()),
                IssueId::derive("a"),
                Severity::High,
            )],
            ..Default::default()
        };
        let first = s
            .record(&empty_run("2026-01-01T00:00:00Z"), None, Some(&u))
            .unwrap();
        s.record(&empty_run("2026-01-02T00:00:00Z"), None, None)
            .unwrap();
        let components = s.blob(first.run_id, "components").unwrap().unwrap();
        // Rewrite the blob tables as schema 3 had them (WITHOUT ROWID).
        s.conn
            .execute_batch(
                "CREATE TABLE rb3 (run_id INTEGER NOT NULL REFERENCES runs(id), kind TEXT NOT NULL,
                     sha256 TEXT NOT NULL, data BLOB NOT NULL, PRIMARY KEY (run_id, kind)) WITHOUT ROWID;
                 INSERT INTO rb3 SELECT run_id, kind, sha256, data FROM run_blobs;
                 DROP TABLE run_blobs; ALTER TABLE rb3 RENAME TO run_blobs;
                 CREATE TABLE ls3 (project TEXT NOT NULL, branch TEXT NOT NULL, data BLOB NOT NULL,
                     PRIMARY KEY (project, branch)) WITHOUT ROWID;
                 INSERT INTO ls3 SELECT project, branch, data FROM lifecycle_state;
                 DROP TABLE lifecycle_state; ALTER TABLE ls3 RENAME TO lifecycle_state;
                 PRAGMA user_version = 3;",
            )
            .unwrap();
        drop(s);
        let s = Store::open(&db).unwrap();
        let version: i64 = s
            .conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version as usize, MIGRATIONS.len());
        let rowid_tables: i64 = s
            .conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE name IN ('run_blobs', 'lifecycle_state')
                 AND sql NOT LIKE '%WITHOUT ROWID%'",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(rowid_tables, 2);
        assert_eq!(s.verify_chain().unwrap(), Ok(2));
        assert_eq!(
            s.blob(first.run_id, "components").unwrap().unwrap(),
            components
        );
        let bytes = read_state(&s.conn, "p", "").unwrap();
        let st = bytes.parse("p").unwrap();
        assert_eq!(st.issues.len(), 1);
        assert_eq!(&*st.issues[0].0, "id-a");
    }

    #[test]
    fn stored_states_parse_borrowed_and_with_escapes() {
        let json = br#"{"issues":[["fp a","I-a","high","2026-01-01T00:00:00Z",null],["vuln \"q\"","I-b","low","t","2026-02-01T00:00:00Z"]],"fingerprints":[["f1","fp a"]]}"#;
        let bytes = StateBytes::Json(json.to_vec());
        let mut borrowed = Vec::new();
        bytes
            .walk(
                "p",
                |i| borrowed.push(matches!(i.0.0, std::borrow::Cow::Borrowed(_))),
                |_| {},
            )
            .unwrap();
        assert_eq!(borrowed, [true, false]);
        let st = bytes.parse("p").unwrap();
        assert_eq!(st.issues[0].0, "fp a");
        assert_eq!(&*st.issues[1].0, "vuln \"q\"");
        assert_eq!(st.issues[1].4.as_deref(), Some("2026-02-01T00:00:00Z"));
        assert_eq!(
            (&*st.fingerprints[0].0, &*st.fingerprints[0].1),
            ("f1", "fp a")
        );
        assert_eq!(
            StateBytes::Json(Vec::new())
                .parse("p")
                .unwrap()
                .issues
                .len(),
            0
        );
        let err = StateBytes::Json(b"{\"issues\": 3}".to_vec())
            .parse("p")
            .unwrap_err();
        assert!(err.contains("lifecycle state of p is corrupt"), "{err}");
    }

    #[test]
    fn stored_frames_are_walked_as_they_are_decompressed() {
        // A state larger than the window, with escapes and members the walk
        // does not know.
        let mut json = String::from(r#"{"times":["t0","t1"],"issues":["#);
        for k in 0..5000 {
            if k > 0 {
                json.push(',');
            }
            json.push_str(&format!(
                r#"["fp {k:032x}",null,"high",{},null],["vuln \"{k}\"","I-{k}","low","t",1]"#,
                k % 2
            ));
        }
        json.push_str(r#"],"later":{"n":[1,2.5e3]},"fingerprints":[["f1","fp a"]]}"#);
        let plain = StateBytes::Json(json.clone().into_bytes());
        let packed = pack_into(Packed::default(), |w| {
            std::io::Write::write_all(w, json.as_bytes()).map_err(|e| e.to_string())
        })
        .unwrap();
        let mut frame = Vec::new();
        packed
            .for_each_chunk(
                |e: std::io::Error| e.to_string(),
                |c| {
                    frame.extend_from_slice(c);
                    Ok(())
                },
            )
            .unwrap();
        assert!(frame.starts_with(&LZ4_FRAME_MAGIC) && StateBytes::Frame(frame.clone()).starts());
        let framed = StateBytes::Frame(frame.clone());
        let st = framed.parse("p").unwrap();
        assert_eq!(st.issues.len(), 10000);
        assert_eq!(st.issues, plain.parse("p").unwrap().issues);
        assert_eq!(st.issues[3].0, "vuln \"1\"");
        assert_eq!(
            (&*st.issues[3].3, st.issues[3].4.as_deref()),
            ("t", Some("t1"))
        );
        assert_eq!(st.fingerprints, [("f1".to_string(), "fp a".to_string())]);
        assert_eq!(framed.times(), ["t0", "t1"]);
        // A frame cut short, or with a byte changed, is an error.
        for bad in [
            frame[..frame.len() / 2].to_vec(),
            frame[..frame.len() - 2].to_vec(),
            {
                let mut f = frame.clone();
                let at = f.len() / 2;
                f[at] ^= 0x55;
                f
            },
        ] {
            let err = StateBytes::Frame(bad).parse("p").unwrap_err();
            assert!(err.contains("lifecycle state of p is corrupt"), "{err}");
        }
        // What only looks like a frame is not read as one.
        assert!(!StateBytes::Frame(LZ4_FRAME_MAGIC.to_vec()).starts());
    }

    #[test]
    fn stored_states_resolve_time_indices_and_left_out_ids() {
        let (t1, t2) = ("2026-01-01T00:00:00Z", "2026-02-01T00:00:00Z");
        let json = format!(
            r#"{{"times":["{t1}","{t2}"],"issues":[["fp 0123456789abcdef0123456789abcdef",null,"high",0,null],["vuln q","I-b","low",1,0],["fp x","I-c","low","t",null]],"fingerprints":[]}}"#
        );
        let bytes = StateBytes::Json(json.into_bytes());
        assert_eq!(bytes.times(), [t1, t2]);
        let st = bytes.parse("p").unwrap();
        assert_eq!((st.issues[0].1.as_deref(), &*st.issues[0].3), (None, t1));
        assert_eq!(st.issues[1].1.as_deref(), Some("I-b"));
        assert_eq!(
            (&*st.issues[1].3, st.issues[1].4.as_deref()),
            (t2, Some(t1))
        );
        assert_eq!(&*st.issues[2].3, "t");
        let bad = br#"{"times":["a"],"issues":[["fp a",null,"high",3,null]]}"#;
        let err = StateBytes::Json(bad.to_vec()).parse("p").unwrap_err();
        assert!(
            err.contains("time 3 is not in the table of 1 times"),
            "{err}"
        );
        // States before the table: no times, nothing left out.
        assert!(
            StateBytes::Json(br#"{"issues":[]}"#.to_vec())
                .times()
                .is_empty()
        );
        // An id is left out only where the identity gives it.
        let fp = "fp 0123456789abcdef0123456789abcdef";
        assert_eq!(stored_id(fp, "I-0123456789ab"), None);
        assert_eq!(stored_id(fp, "I-ffffffffffff"), Some("I-ffffffffffff"));
        assert_eq!(
            stored_id("vuln x", "I-0123456789ab"),
            Some("I-0123456789ab")
        );
        assert_eq!(stored_id("fp XYZ", "I-XYZ"), Some("I-XYZ"));
    }

    #[test]
    fn a_non_database_file_is_a_clear_error() {
        let dir = tempfile::tempdir().unwrap();
        let db = dir.path().join("notes.txt");
        std::fs::write(
            &db,
            "this is not sqlite, just text long enough to look like a header....",
        )
        .unwrap();
        let err = Store::open(&db).err().unwrap().to_string();
        assert!(err.contains("notes.txt"), "{err}");
    }
}
