//! A grouped backend's shaped data written as JSON straight from its body (issue 9): what
//! [`super::decode`] followed by the Go-style render gives, without building a `Value`.
//!
//! For a fan-out whose backends each put an `allow`ed part of their answer under their own
//! `group` (codegen's grouped canonical path, `codegen/src/plan/lower/canonical_json.rs`), the
//! client body is `{"<group>":<value>,…}` with the groups in key order, and each `<value>` is a
//! pure function of one backend body. [`render`] writes that value: the `allow` tree is walked
//! as [`super::decode`] walks it, every kept value is copied in its rendered form by
//! [`crate::render::canonical`], and each object's members are written sorted by their (mapped)
//! key.
//!
//! # Same bytes as the generic path
//!
//! [`fast`] declines (and [`render`] answers with [`super::reference`] plus the render) where
//! it does not vouch for the result: everything [`super::project`] declines, a `target`, any
//! selection but `allow`, a `mapping` that could merge keys (two pairs with one old or one new
//! name, or a new name that is also an allowed key), an allow object with more than 64 keys,
//! and a key of the allow tree repeated in one object (a map keeps the last one, or drops an
//! earlier one, which the walk does not replay). The differential proptests
//! (`runtime/tests/projection.rs`, `check_render`) compare both on random bodies and shaping,
//! and `tests/canonical_json.rs` compares grouped fan-outs with generic controls over HTTP.

use super::{Declined, Fast, Field, Projection, Reader, Select};
use crate::render::json::write_str;
use crate::spec::Decode;
use serde_json::Value;
use std::ops::Range;

/// The rendered value the backend's shaped data puts under its `group` (the data itself when
/// there is no group), or the decode error: exactly what the generic path gives.
pub fn render(body: &[u8], projection: &Projection) -> Result<Vec<u8>, String> {
    if let Some(out) = fast(body, projection) {
        return Ok(out);
    }
    let ungrouped = Projection {
        group: None,
        ..*projection
    };
    let data = super::reference(body, &ungrouped)?;
    Ok(crate::render::json::to_vec(&Value::Object(data)))
}

/// The fast path alone: `None` where [`render`] falls back. Public for the differential tests.
pub fn fast(body: &[u8], projection: &Projection) -> Option<Vec<u8>> {
    let Select::Allow(fields) = projection.select else {
        return None;
    };
    if !projection.target.is_empty()
        || !matches!(projection.decode, Decode::JsonObject | Decode::SafeJson)
        || !plain_mapping(fields, projection.mapping)
    {
        return None;
    }
    let mut r = Reader {
        bytes: body,
        pos: 0,
    };
    r.skip_ws();
    if r.peek() != Some(b'{') {
        return None;
    }
    let mut tmp = Vec::with_capacity(256);
    let at = allow(&mut r, 0, fields, projection.mapping, &mut tmp, true)
        .ok()?
        .unwrap_or(0..0);
    if at.is_empty() {
        return Some(b"{}".to_vec());
    }
    tmp.get(at).map(<[u8]>::to_vec)
}

/// The index of the field named `key`. A few fields are scanned, length and first byte before
/// the rest (most keys of a body are not kept: this rejects them without a `memcmp`); more
/// are searched by halves.
#[inline]
fn find(fields: &[Field], key: &[u8]) -> Option<usize> {
    if fields.len() > 8 {
        return fields.binary_search_by(|f| f.key.as_bytes().cmp(key)).ok();
    }
    let first = key.first();
    fields.iter().position(|f| {
        let name = f.key.as_bytes();
        name.len() == key.len() && name.first() == first && name == key
    })
}

/// Whether renaming with `mapping` only changes names: no two pairs share an old or a new name,
/// and no new name is an allowed top-level key other than its own old one.
fn plain_mapping(fields: &[Field], mapping: &[(&str, &str)]) -> bool {
    mapping.iter().enumerate().all(|(i, (old, new))| {
        mapping
            .iter()
            .skip(i + 1)
            .all(|(o, n)| o != old && n != new)
            && (old == new || fields.iter().all(|f| f.key != *new))
    })
}

/// The object at the cursor with `fields` kept, rendered at the end of `tmp`: its range there,
/// or `None` when nothing was kept (an empty top-level object is `Some` of an empty range).
/// `mapping` renames the keys of this object.
fn allow(
    r: &mut Reader<'_>,
    depth: usize,
    fields: &'static [Field],
    mapping: &[(&str, &'static str)],
    tmp: &mut Vec<u8>,
    top: bool,
) -> Fast<Option<Range<usize>>> {
    if fields.len() > 64 {
        return Err(Declined);
    }
    let mut seen = 0u64;
    let mut members: Vec<(&'static str, Range<usize>)> = Vec::with_capacity(fields.len());
    // The lengths of the allowed keys (63: that long or longer): most keys of a body are not
    // kept, and most of those are rejected by their length alone.
    let lengths = fields
        .iter()
        .fold(0u64, |m, f| m | 1 << f.key.len().min(63));
    r.object(depth, |r, key, depth| {
        let found = if key.escaped {
            find(fields, key.text()?.as_bytes())
        } else if lengths & 1 << key.raw.len().min(63) == 0 {
            None
        } else {
            find(fields, key.raw)
        };
        let Some((i, field)) = found.and_then(|i| Some((i, fields.get(i)?))) else {
            return r.skip_value(depth);
        };
        let bit = 1u64 << i;
        if seen & bit != 0 {
            return Err(Declined);
        }
        seen |= bit;
        let name = mapping
            .iter()
            .find(|(old, _)| *old == field.key)
            .map_or(field.key, |(_, new)| *new);
        if field.below.is_empty() {
            let start = tmp.len();
            r.pos = crate::render::canonical::append_value(r.bytes, r.pos, depth, tmp)
                .ok_or(Declined)?;
            members.push((name, start..tmp.len()));
        } else if r.peek() == Some(b'{') {
            if let Some(at) = allow(r, depth, field.below, &[], tmp, false)? {
                members.push((name, at));
            }
        } else {
            r.skip_value(depth)?;
        }
        Ok(())
    })?;
    if members.is_empty() {
        return Ok(top.then_some(0..0));
    }
    members.sort_unstable_by(|a, b| a.0.cmp(b.0));
    let start = tmp.len();
    tmp.push(b'{');
    for (i, (name, at)) in members.into_iter().enumerate() {
        if i > 0 {
            tmp.push(b',');
        }
        write_str(tmp, name);
        tmp.push(b':');
        tmp.extend_from_within(at);
    }
    tmp.push(b'}');
    Ok(Some(start..tmp.len()))
}
