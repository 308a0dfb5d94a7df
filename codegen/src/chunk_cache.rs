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
use std::fmt::Write as _;
use std::ops::Range;
use std::path::{Path, PathBuf};

const MAGIC: &[u8; 8] = b"krustdC1";

/// The sha256 that names an entry.
pub type Key = [u8; 32];

/// The entries read from the file, and those of this run (what `save` writes).
#[derive(Debug)]
pub struct ChunkCache {
    path: PathBuf,
    identity: Key,
    /// The file as read, and where each entry's text sits in it.
    data: Vec<u8>,
    old: HashMap<Key, Range<usize>>,
    /// This run's entries: key and where the text sits in the output.
    new: Vec<(Key, Range<usize>)>,
    /// Entries taken from the file in this run, and entries made.
    pub hits: usize,
    pub misses: usize,
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
            .chain_update(env!("CARGO_PKG_VERSION"))
            .chain_update(meta.len().to_le_bytes())
            .chain_update(mtime.as_nanos().to_le_bytes())
            .finalize()
            .into();
        let path = path.into();
        let data = std::fs::read(&path).unwrap_or_default();
        let old = parse(&data, &identity).unwrap_or_default();
        Some(ChunkCache {
            path,
            identity,
            data,
            old,
            new: Vec::new(),
            hits: 0,
            misses: 0,
        })
    }

    /// Appends to `out` the text cached for `key` (the `Debug` text of what the chunk is made
    /// from), else `make()`'s (then cached).
    pub fn append<E>(
        &mut self,
        out: &mut String,
        key: &dyn std::fmt::Debug,
        make: impl FnOnce() -> Result<String, E>,
    ) -> Result<(), E> {
        let k = self.key(key);
        self.append_keyed(out, k, make)
    }

    /// The key of the chunk made from `key` (the `Debug` text of what it is made from).
    pub fn key(&self, key: &dyn std::fmt::Debug) -> Key {
        let mut h = HashWriter(Sha256::new().chain_update(self.identity));
        // Writing into a hasher cannot fail.
        let _ = write!(h, "{key:?}");
        h.0.finalize().into()
    }

    /// Whether the file holds a text for `k` (so `append_keyed` will not call `make`).
    pub fn has(&self, k: &Key) -> bool {
        self.old.contains_key(k)
    }

    /// `append` with the key computed beforehand (`key`): the builder looks the endpoints up
    /// first and makes the missing ones on several threads.
    pub fn append_keyed<E>(
        &mut self,
        out: &mut String,
        k: Key,
        make: impl FnOnce() -> Result<String, E>,
    ) -> Result<(), E> {
        let start = out.len();
        let cached = self
            .old
            .remove(&k)
            .and_then(|r| std::str::from_utf8(&self.data[r]).ok());
        match cached {
            Some(text) => {
                self.hits += 1;
                out.push_str(text);
            }
            None => {
                self.misses += 1;
                out.push_str(&make()?);
            }
        }
        self.new.push((k, start..out.len()));
        Ok(())
    }

    /// Writes this run's entries, their texts taken from `out` (best effort: a cache that
    /// cannot be written is no cache). Nothing to write when every entry came from the file
    /// and none was left unused: the file already holds exactly them.
    pub fn save(&self, out: &str) {
        if self.misses == 0 && self.old.is_empty() && !self.data.is_empty() {
            return;
        }
        let mut file = Vec::with_capacity(self.new.iter().map(|(_, r)| r.len() + 40).sum());
        file.extend_from_slice(MAGIC);
        file.extend_from_slice(&self.identity);
        for (k, r) in &self.new {
            let Some(text) = out.get(r.clone()) else {
                return;
            };
            file.extend_from_slice(k);
            file.extend_from_slice(&(text.len() as u64).to_le_bytes());
            file.extend_from_slice(text.as_bytes());
        }
        let _ = write_atomically(&self.path, &file);
    }
}

/// `Debug` text straight into sha256, without building the string.
struct HashWriter(Sha256);

impl std::fmt::Write for HashWriter {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        self.0.update(s.as_bytes());
        Ok(())
    }
}

/// Where each entry's text sits in a cache file written by the same codegen build; `None`
/// for anything else.
fn parse(bytes: &[u8], identity: &Key) -> Option<HashMap<Key, Range<usize>>> {
    let header = MAGIC.len() + identity.len();
    let rest = bytes.strip_prefix(MAGIC)?;
    rest.strip_prefix(identity.as_slice())?;
    let mut map = HashMap::new();
    let mut at = header;
    while at < bytes.len() {
        let k: Key = bytes.get(at..at + 32)?.try_into().ok()?;
        let len: [u8; 8] = bytes.get(at + 32..at + 40)?.try_into().ok()?;
        let len = usize::try_from(u64::from_le_bytes(len)).ok()?;
        let start = at + 40;
        let end = start.checked_add(len).filter(|e| *e <= bytes.len())?;
        map.insert(k, start..end);
        at = end;
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
        let mut out = String::new();
        let mut c = ChunkCache::open(&path).unwrap();
        c.append(&mut out, &"plan a", || Ok::<_, ()>("code a;".to_owned()))
            .unwrap();
        assert_eq!((out.as_str(), c.hits), ("code a;", 0));
        c.save(&out);
        let mut out = String::new();
        let mut c = ChunkCache::open(&path).unwrap();
        c.append(&mut out, &"plan a", || Err("made again")).unwrap();
        c.append(&mut out, &"plan b", || Ok::<_, &str>("code b;".to_owned()))
            .unwrap();
        assert_eq!((out.as_str(), c.hits, c.misses), ("code a;code b;", 1, 1));
        c.save(&out);
        let mut out = String::new();
        let mut c = ChunkCache::open(&path).unwrap();
        c.append(&mut out, &"plan b", || Err("made again")).unwrap();
        assert_eq!(out, "code b;");
        // A file of another build (or garbage) is an empty cache.
        std::fs::write(&path, b"krustdC1 not this build").unwrap();
        let mut out = String::new();
        let mut c = ChunkCache::open(&path).unwrap();
        c.append(&mut out, &"plan b", || Ok::<_, ()>("made".to_owned()))
            .unwrap();
        assert_eq!(out, "made");
        let _ = std::fs::remove_dir_all(&dir);
    }
}
