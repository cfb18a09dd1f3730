//! `saldo backup` and `saldo restore` for the embedded SQLite database. A backup is taken
//! online with `VACUUM INTO`, which reads one consistent snapshot (the WAL included) while the
//! server keeps writing, and is checked before it is called done. PostgreSQL has `pg_dump`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use rusqlite::{Connection, OpenFlags};

use super::serve::DatabaseArgs;

#[derive(clap::Args, Debug)]
pub struct BackupArgs {
    #[command(flatten)]
    pub db: DatabaseArgs,
    /// The file to write; it must not exist yet.
    pub path: PathBuf,
}

#[derive(clap::Args, Debug)]
pub struct RestoreArgs {
    /// A file `saldo backup` wrote.
    pub backup: PathBuf,
    /// Where to restore it (`--database-url sqlite://PATH`, which must not exist: stop the
    /// server and move the old database away first).
    #[command(flatten)]
    pub db: DatabaseArgs,
}

/// The file behind a `sqlite://` URL; PostgreSQL is answered with the tool that backs it up.
fn sqlite_path(url: &str) -> anyhow::Result<PathBuf> {
    if let Some(path) = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
    {
        return Ok(PathBuf::from(path));
    }
    if url.starts_with("postgres://") || url.starts_with("postgresql://") {
        anyhow::bail!(
            "saldo backup and restore handle the embedded SQLite database; back PostgreSQL up \
             with its own tools: pg_dump --format=custom --file=saldo.dump DATABASE, and restore \
             with pg_restore --dbname=DATABASE saldo.dump (see docs/operations.md)"
        );
    }
    anyhow::bail!("unsupported database URL (expected sqlite://PATH)")
}

/// `PRAGMA integrity_check` of the file, and its schema version.
fn check(path: &Path) -> anyhow::Result<i64> {
    let conn = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening {}", path.display()))?;
    let verdict: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    anyhow::ensure!(verdict == "ok", "{} is damaged: {verdict}", path.display());
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    anyhow::ensure!(version > 0, "{} holds no saldo database", path.display());
    Ok(version)
}

pub fn backup(args: &BackupArgs) -> anyhow::Result<()> {
    let source = sqlite_path(&args.db.url)?;
    anyhow::ensure!(
        source.exists(),
        "there is no database at {}",
        source.display()
    );
    anyhow::ensure!(
        !args.path.exists(),
        "{} exists already: choose a new file",
        args.path.display()
    );
    let conn = Connection::open_with_flags(&source, OpenFlags::SQLITE_OPEN_READ_WRITE)
        .with_context(|| format!("opening {}", source.display()))?;
    // The server's writer may hold the lock for a batch; wait for it rather than fail.
    conn.busy_timeout(std::time::Duration::from_secs(30))?;
    let target = args
        .path
        .to_str()
        .context("the backup path must be UTF-8")?;
    conn.execute("VACUUM INTO ?1", [target])
        .with_context(|| format!("writing {}", args.path.display()))?;
    let version = check(&args.path)?;
    let size = std::fs::metadata(&args.path)?.len();
    println!(
        "backed up {} to {} ({size} bytes, schema version {version}, integrity ok)",
        source.display(),
        args.path.display()
    );
    Ok(())
}

pub fn restore(args: &RestoreArgs) -> anyhow::Result<()> {
    let target = sqlite_path(&args.db.url)?;
    for file in [
        target.clone(),
        PathBuf::from(format!("{}-wal", target.display())),
    ] {
        anyhow::ensure!(
            !file.exists(),
            "{} exists: restore never overwrites a database (stop the server and move it away first)",
            file.display()
        );
    }
    let version = check(&args.backup)?;
    // Copy beside the target, then rename: a restore cut short leaves no half database.
    let partial = PathBuf::from(format!("{}.restoring", target.display()));
    std::fs::copy(&args.backup, &partial)
        .with_context(|| format!("copying to {}", partial.display()))?;
    std::fs::File::open(&partial)?.sync_all()?;
    std::fs::rename(&partial, &target)?;
    println!(
        "restored {} to {} (schema version {version}); start saldo on it, and run saldo verify",
        args.backup.display(),
        target.display()
    );
    Ok(())
}
