//! Files a contract names beside itself (a martian `static.Modifier`'s `rootPath`, a GraphQL
//! `query_path`): read at build time, relative to the contract's directory, and embedded in the
//! generated code. The gateway never reads them at run time. Every file read is remembered so
//! that `build.rs` can declare it (`cargo::rerun-if-changed`).

use std::path::{Path, PathBuf};

/// Largest side file, and largest total, embedded in one gateway.
pub const MAX_TOTAL_BYTES: usize = 16 * 1024 * 1024;
/// Most files a directory (a `rootPath`) may hold.
pub const MAX_DIR_FILES: usize = 512;

#[derive(Debug, Default)]
pub struct SideFiles {
    /// The contract's directory; `None` when the contract text came without a file.
    dir: Option<PathBuf>,
    read: Vec<PathBuf>,
    total: usize,
}

impl SideFiles {
    pub fn new(dir: Option<PathBuf>) -> Self {
        SideFiles {
            dir,
            read: Vec::new(),
            total: 0,
        }
    }

    /// Whether `rel` (relative to the contract's directory) is a file; `None` when a relative
    /// path cannot be resolved (the contract came without a directory).
    pub fn exists(&self, rel: &str) -> Option<bool> {
        self.resolve(rel).ok().map(|p| p.is_file())
    }

    /// The files read so far, in reading order.
    pub fn read_files(&self) -> &[PathBuf] {
        &self.read
    }

    fn resolve(&self, rel: &str) -> Result<PathBuf, String> {
        let p = Path::new(rel);
        if p.is_absolute() {
            return Ok(p.to_path_buf());
        }
        match &self.dir {
            Some(d) => Ok(d.join(p)),
            None => Err(format!(
                "cannot read `{rel}`: the contract was given without a directory to read it from"
            )),
        }
    }

    /// The bytes of the file `rel` (relative to the contract's directory).
    pub fn read(&mut self, rel: &str) -> Result<Vec<u8>, String> {
        let path = self.resolve(rel)?;
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read `{rel}`: {e}"))?;
        self.total += bytes.len();
        if self.total > MAX_TOTAL_BYTES {
            return Err(format!(
                "cannot embed `{rel}`: the side files of this contract exceed {MAX_TOTAL_BYTES} bytes"
            ));
        }
        self.read.push(path);
        Ok(bytes)
    }

    /// Every regular file under the directory `rel`, as (`/`-separated path relative to it,
    /// bytes), sorted by path.
    pub fn read_tree(&mut self, rel: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
        let root = self.resolve(rel)?;
        let mut names = Vec::new();
        collect(&root, String::new(), 0, &mut names)
            .map_err(|e| format!("cannot read the directory `{rel}`: {e}"))?;
        if names.len() > MAX_DIR_FILES {
            return Err(format!(
                "`{rel}` holds more than {MAX_DIR_FILES} files; serve large trees from a backend"
            ));
        }
        names.sort();
        let mut out = Vec::with_capacity(names.len());
        for name in names {
            let file = format!("{}/{}", rel.trim_end_matches('/'), name);
            let bytes = self.read(&file)?;
            out.push((name, bytes));
        }
        Ok(out)
    }
}

fn collect(dir: &Path, prefix: String, depth: usize, out: &mut Vec<String>) -> std::io::Result<()> {
    if depth > 16 {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        let path = entry.path();
        let rel = if prefix.is_empty() {
            name
        } else {
            format!("{prefix}/{name}")
        };
        let meta = std::fs::metadata(&path)?;
        if meta.is_dir() {
            collect(&path, rel, depth + 1, out)?;
        } else if meta.is_file() {
            out.push(rel);
        }
        if out.len() > MAX_DIR_FILES {
            return Ok(());
        }
    }
    Ok(())
}
