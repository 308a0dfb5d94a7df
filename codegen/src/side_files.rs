//! Files a contract names beside itself (a martian `static.Modifier`'s `rootPath`, a GraphQL
//! `query_path`, Lua `sources`, a `jwk_local_path`, TLS certificates checked at build time):
//! read at build time and embedded in the generated code. The gateway never reads them at run
//! time. Every file read is remembered so that `build.rs` can declare it
//! (`cargo::rerun-if-changed`).
//!
//! A relative path is looked up, in this order: in the contract's directory, then in each of
//! its parent directories, nearest first, up to the build root (the gateway crate's directory)
//! when the contract lies inside it, else up to the filesystem root. The first existing one
//! wins. KrakenD resolves these paths against its working directory, which is often a parent
//! of the contract's (`krakend run -c config/krakend.json` with `config/lua/x.lua` named as
//! such); the contract's own directory stays the first choice. When nothing is found, the
//! error lists every place looked at, relative to the contract's directory (`x`, `../x`, …).

use std::path::{Path, PathBuf};

/// Largest side file, and largest total, embedded in one gateway.
pub const MAX_TOTAL_BYTES: usize = 16 * 1024 * 1024;
/// Most files a directory (a `rootPath`) may hold.
pub const MAX_DIR_FILES: usize = 512;

#[derive(Debug, Default)]
pub struct SideFiles {
    /// The contract's directory (absolute); `None` when the contract text came without a file.
    dir: Option<PathBuf>,
    /// The last directory looked in (absolute): the build root when it holds the contract.
    stop: Option<PathBuf>,
    read: Vec<PathBuf>,
    total: usize,
}

/// What a path must name.
#[derive(Clone, Copy, PartialEq)]
enum Kind {
    File,
    Dir,
}

impl SideFiles {
    /// Side files of a contract in `dir`, looked up to the filesystem root (see `within`).
    pub fn new(dir: Option<PathBuf>) -> Self {
        SideFiles {
            dir: dir.map(|d| std::path::absolute(&d).unwrap_or(d)),
            stop: None,
            read: Vec::new(),
            total: 0,
        }
    }

    /// Stop the parent-directory lookup at `root` when it holds the contract's directory.
    pub fn within(mut self, root: &Path) -> Self {
        let root = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
        if self.dir.as_ref().is_some_and(|d| d.starts_with(&root)) {
            self.stop = Some(root);
        }
        self
    }

    /// Whether `rel` names a file (looked up as `read` does); `None` when a relative path
    /// cannot be resolved (the contract came without a directory).
    pub fn exists(&self, rel: &str) -> Option<bool> {
        match self.locate(rel, Kind::File) {
            Ok(_) => Some(true),
            Err(_) if self.dir.is_none() && Path::new(rel).is_relative() => None,
            Err(_) => Some(false),
        }
    }

    /// The files read so far, in reading order.
    pub fn read_files(&self) -> &[PathBuf] {
        &self.read
    }

    /// The places `rel` is looked for, in order: (absolute path, path shown in messages).
    fn candidates(&self, rel: &str) -> Vec<(PathBuf, String)> {
        let p = Path::new(rel);
        if p.is_absolute() {
            return vec![(p.to_path_buf(), rel.to_owned())];
        }
        let Some(dir) = &self.dir else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (up, base) in dir.ancestors().enumerate() {
            out.push((base.join(p), format!("{}{rel}", "../".repeat(up))));
            if self.stop.as_deref() == Some(base) {
                break;
            }
        }
        out
    }

    /// The first candidate of `rel` that is a `kind`; the error says where it looked.
    fn locate(&self, rel: &str, kind: Kind) -> Result<PathBuf, String> {
        let candidates = self.candidates(rel);
        if candidates.is_empty() {
            return Err("the contract was given without a directory to read it from".to_owned());
        }
        let found = candidates.iter().find(|(p, _)| match kind {
            Kind::File => p.is_file(),
            Kind::Dir => p.is_dir(),
        });
        if let Some((p, _)) = found {
            return Ok(p.clone());
        }
        let what = match kind {
            Kind::File => "no such file",
            Kind::Dir => "no such directory",
        };
        if candidates.len() == 1 {
            return Err(format!("{what} (looked at `{}`)", candidates[0].1));
        }
        let list: Vec<String> = candidates.iter().map(|(_, s)| format!("`{s}`")).collect();
        Err(format!(
            "{what}; looked, from the contract's directory up, at {}",
            list.join(", ")
        ))
    }

    /// The bytes of the file `rel` (looked up as the module says).
    pub fn read(&mut self, rel: &str) -> Result<Vec<u8>, String> {
        self.read_bytes(rel)
            .map_err(|why| format!("cannot read `{rel}`: {why}"))
    }

    /// `read`, the error being only the reason (the caller names the file).
    pub fn read_bytes(&mut self, rel: &str) -> Result<Vec<u8>, String> {
        let path = self.locate(rel, Kind::File)?;
        self.read_path(path, rel)
    }

    fn read_path(&mut self, path: PathBuf, rel: &str) -> Result<Vec<u8>, String> {
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        self.total += bytes.len();
        if self.total > MAX_TOTAL_BYTES {
            return Err(format!(
                "too large to embed: the side files of this contract exceed {MAX_TOTAL_BYTES} bytes (`{rel}`)"
            ));
        }
        self.read.push(path);
        Ok(bytes)
    }

    /// Every regular file under the directory `rel`, as (`/`-separated path relative to it,
    /// bytes), sorted by path.
    pub fn read_tree(&mut self, rel: &str) -> Result<Vec<(String, Vec<u8>)>, String> {
        let root = self
            .locate(rel, Kind::Dir)
            .map_err(|why| format!("cannot read the directory `{rel}`: {why}"))?;
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
            let bytes = self
                .read_path(root.join(&name), &file)
                .map_err(|why| format!("cannot read `{file}`: {why}"))?;
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

#[cfg(test)]
mod tests {
    use super::*;

    /// A fresh directory tree `top/a/b` under the system's temporary directory.
    fn tree(name: &str) -> PathBuf {
        let top = std::env::temp_dir().join(format!("krustd-side-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&top);
        std::fs::create_dir_all(top.join("a/b/lua")).expect("temp dir");
        std::fs::create_dir_all(top.join("a/lua")).expect("temp dir");
        top
    }

    #[test]
    fn beside_the_contract_first_then_each_parent() {
        let top = tree("order");
        std::fs::write(top.join("a/b/lua/x.lua"), "beside").unwrap();
        std::fs::write(top.join("a/lua/x.lua"), "parent").unwrap();
        std::fs::write(top.join("a/lua/y.lua"), "parent y").unwrap();
        let mut sf = SideFiles::new(Some(top.join("a/b")));
        assert_eq!(sf.read("lua/x.lua").unwrap(), b"beside");
        assert_eq!(sf.read("lua/y.lua").unwrap(), b"parent y");
        assert_eq!(sf.exists("lua/y.lua"), Some(true));
        assert_eq!(sf.exists("lua/z.lua"), Some(false));
        assert_eq!(
            sf.read_files(),
            [top.join("a/b/lua/x.lua"), top.join("a/lua/y.lua")]
        );
        // A directory (`rootPath`) is found the same way, and its files read from there.
        let files = sf.read_tree("lua").unwrap();
        assert_eq!(files, [("x.lua".to_owned(), b"beside".to_vec())]);
        std::fs::remove_dir_all(&top).unwrap();
    }

    #[test]
    fn the_lookup_stops_at_the_root_and_says_where_it_looked() {
        let top = tree("stop");
        std::fs::write(top.join("z.lua"), "above the root").unwrap();
        let mut sf = SideFiles::new(Some(top.join("a/b"))).within(&top.join("a"));
        let err = sf.read("z.lua").unwrap_err();
        assert_eq!(
            err,
            "cannot read `z.lua`: no such file; looked, from the contract's directory up, at `z.lua`, `../z.lua`"
        );
        assert_eq!(sf.exists("z.lua"), Some(false));
        let err = sf.read_tree("nowhere").unwrap_err();
        assert!(err.starts_with("cannot read the directory `nowhere`: no such directory;"));
        // Without a root inside which the contract lies, the parents go up to `/`.
        let mut sf = SideFiles::new(Some(top.join("a/b"))).within(Path::new("/no/such/root"));
        assert_eq!(sf.read("z.lua").unwrap(), b"above the root");
        std::fs::remove_dir_all(&top).unwrap();
    }

    #[test]
    fn without_a_directory_only_absolute_paths_resolve() {
        let mut sf = SideFiles::new(None);
        assert_eq!(sf.exists("x"), None);
        assert!(sf.read("x").unwrap_err().contains("without a directory"));
    }
}
