//! The pretty-printed code of each endpoint, kept between two runs of the same codegen build.
//!
//! Parsing the tokens with `syn` and pretty-printing them is most of the codegen time. An
//! endpoint's code is a function of its plan only (`emit::endpoint(&Endpoint)`), so the text
//! of an endpoint whose plan did not change since the last run is taken from the cache file
//! instead. The key of an entry is the sha256 of the codegen build's identity (version, size
//! and modification time of the running executable: a rebuilt `krustd-codegen` starts with an
//! empty cache) and of the plan's `Debug` text (every plan type derives `Debug`, none hides a
//! field). The file holds only the entries of the last run, so it stays the size of one
//! generated gateway. Any problem reading or writing it means an empty cache, never an error.

use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"krustdC1";

type Key = [u8; 32];

/// The entries read from the file, and those of this run (what `save` writes).
#[derive(Debug)]
pub struct ChunkCache {
    path: PathBuf,
    identity: Key,
    old: HashMap<Key, String>,
    new: Vec<(Key, String)>,
    /// Entries taken from the file in this run.
    pub hits: usize,
}

impl ChunkCache {
    /// The cache in `path`, for the running executable. `None` when the executable cannot be
    /// identified (then nothing is cached).
    pub fn open(path: impl Into<PathBuf>) -> Option<Self> {
        let exe = std::env::current_exe().ok()?;
        let meta = std::fs::metadata(exe).ok()?;
        let mtime = meta
            .modified()
            .ok()?
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        let identity: Key = Sha256::new()
            .chain_update(crate::builder::VERSION)
            .chain_update(meta.len().to_le_bytes())
            .chain_update(mtime.as_nanos().to_le_bytes())
            .finalize()
            .into();
        let path = path.into();
        let old = std::fs::read(&path)
            .ok()
            .and_then(|bytes| parse(&bytes, &identity))
            .unwrap_or_default();
        Some(ChunkCache {
            path,
            identity,
            old,
            new: Vec::new(),
            hits: 0,
        })
    }

    /// The text cached for `key`, else `make()`'s (then cached).
    pub fn get_or<E>(
        &mut self,
        key: &str,
        make: impl FnOnce() -> Result<String, E>,
    ) -> Result<String, E> {
        let k: Key = Sha256::new()
            .chain_update(self.identity)
            .chain_update(key.as_bytes())
            .finalize()
            .into();
        let text = match self.old.remove(&k) {
            Some(text) => {
                self.hits += 1;
                text
            }
            None => make()?,
        };
        self.new.push((k, text.clone()));
        Ok(text)
    }

    /// Writes this run's entries (best effort: a cache that cannot be written is no cache).
    pub fn save(&self) {
        let mut out = Vec::with_capacity(self.new.iter().map(|(_, t)| t.len() + 40).sum());
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&self.identity);
        for (k, text) in &self.new {
            out.extend_from_slice(k);
            out.extend_from_slice(&(text.len() as u64).to_le_bytes());
            out.extend_from_slice(text.as_bytes());
        }
        let _ = write_atomically(&self.path, &out);
    }
}

/// The entries of a cache file written by the same codegen build; `None` for anything else.
fn parse(bytes: &[u8], identity: &Key) -> Option<HashMap<Key, String>> {
    let rest = bytes.strip_prefix(MAGIC)?;
    let rest = rest.strip_prefix(identity.as_slice())?;
    let mut map = HashMap::new();
    let mut rest = rest;
    while !rest.is_empty() {
        let (k, r) = rest.split_first_chunk::<32>()?;
        let (len, r) = r.split_first_chunk::<8>()?;
        let len = usize::try_from(u64::from_le_bytes(*len)).ok()?;
        if len > r.len() {
            return None;
        }
        let (text, r) = r.split_at(len);
        map.insert(*k, String::from_utf8(text.to_vec()).ok()?);
        rest = r;
    }
    Some(map)
}

/// Written beside, then renamed: a reader never sees half a file.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    std::fs::write(&tmp, bytes)?;
    std::fs::rename(&tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_entry_is_found_again_and_anything_else_is_made() {
        let dir = std::env::temp_dir().join(format!("krustd-chunk-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("gateway.chunks");
        let _ = std::fs::remove_file(&path);
        let mut c = ChunkCache::open(&path).unwrap();
        let a = c.get_or("plan a", || Ok::<_, ()>("code a".to_owned()));
        assert_eq!(a, Ok("code a".to_owned()));
        assert_eq!(c.hits, 0);
        c.save();
        let mut c = ChunkCache::open(&path).unwrap();
        let a = c.get_or("plan a", || Err("made again"));
        assert_eq!(a, Ok("code a".to_owned()));
        let b = c.get_or("plan b", || Ok::<_, &str>("code b".to_owned()));
        assert_eq!(b, Ok("code b".to_owned()));
        assert_eq!(c.hits, 1);
        // A file of another build (or garbage) is an empty cache.
        std::fs::write(&path, b"krustdC1 not this build").unwrap();
        let mut c = ChunkCache::open(&path).unwrap();
        let a = c.get_or("plan a", || Ok::<_, ()>("made".to_owned()));
        assert_eq!(a, Ok("made".to_owned()));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
