//! Finding the PostgreSQL server programs (`initdb`, `pg_ctl`) of this machine.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use super::EmbeddedError;

/// The directory holding `initdb` and `pg_ctl`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostgresBinaries {
    dir: PathBuf,
}

impl PostgresBinaries {
    /// Path of `initdb`.
    pub fn initdb(&self) -> PathBuf {
        self.dir.join("initdb")
    }

    /// Path of `pg_ctl`.
    pub fn pg_ctl(&self) -> PathBuf {
        self.dir.join("pg_ctl")
    }

    /// Path of `postgres`.
    pub fn postgres(&self) -> PathBuf {
        self.dir.join("postgres")
    }

    /// The directory itself.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Finds the binaries: the explicit directory, else `PATH`, else the newest
    /// `/usr/lib/postgresql/*/bin`.
    pub fn locate(explicit: Option<&Path>) -> Result<Self, EmbeddedError> {
        locate_in(
            explicit,
            std::env::var_os("PATH"),
            Path::new("/usr/lib/postgresql"),
        )
    }
}

fn has_server_programs(dir: &Path) -> bool {
    ["initdb", "pg_ctl", "postgres"]
        .iter()
        .all(|program| dir.join(program).is_file())
}

/// [`PostgresBinaries::locate`] with its inputs given, for tests.
pub fn locate_in(
    explicit: Option<&Path>,
    path_var: Option<OsString>,
    versions_root: &Path,
) -> Result<PostgresBinaries, EmbeddedError> {
    if let Some(dir) = explicit {
        return if has_server_programs(dir) {
            Ok(PostgresBinaries {
                dir: dir.to_owned(),
            })
        } else {
            Err(EmbeddedError::BinariesNotFound {
                looked_in: format!("{} (CDB_POSTGRES_BIN_DIR)", dir.display()),
            })
        };
    }
    if let Some(dir) = path_var
        .and_then(|path_var| std::env::split_paths(&path_var).find(|dir| has_server_programs(dir)))
    {
        return Ok(PostgresBinaries { dir });
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir(versions_root)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|entry| {
            let major = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            has_server_programs(&bin).then_some((major, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, dir)) => Ok(PostgresBinaries { dir }),
        None => Err(EmbeddedError::BinariesNotFound {
            looked_in: format!("PATH and {}/*/bin", versions_root.display()),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_bin(dir: &Path) {
        std::fs::create_dir_all(dir).unwrap();
        for program in ["initdb", "pg_ctl", "postgres"] {
            std::fs::write(dir.join(program), "").unwrap();
        }
    }

    #[test]
    fn path_wins_over_the_versions_root() {
        let tmp = tempfile::tempdir().unwrap();
        let on_path = tmp.path().join("path-bin");
        fake_bin(&on_path);
        fake_bin(&tmp.path().join("root/16/bin"));
        let found = locate_in(
            None,
            Some(on_path.clone().into_os_string()),
            &tmp.path().join("root"),
        )
        .unwrap();
        assert_eq!(found.dir(), on_path);
    }

    #[test]
    fn the_newest_version_is_taken_numerically() {
        let tmp = tempfile::tempdir().unwrap();
        let root = tmp.path().join("root");
        fake_bin(&root.join("9/bin"));
        fake_bin(&root.join("15/bin"));
        fake_bin(&root.join("13/bin"));
        std::fs::create_dir_all(root.join("17/bin")).unwrap(); // incomplete: skipped
        let found = locate_in(None, Some(OsString::from("/nonexistent")), &root).unwrap();
        assert_eq!(found.dir(), root.join("15/bin"));
    }

    #[test]
    fn nothing_found_explains_both_ways_out() {
        let tmp = tempfile::tempdir().unwrap();
        let error = locate_in(None, None, tmp.path()).unwrap_err().to_string();
        assert!(error.contains("DATABASE_URL"), "{error}");
        assert!(error.contains("install"), "{error}");
    }

    #[test]
    fn an_explicit_directory_without_programs_is_an_error() {
        let tmp = tempfile::tempdir().unwrap();
        assert!(locate_in(Some(tmp.path()), None, tmp.path()).is_err());
    }
}
