//! `validation/json-schema` and `validation/cel` (spec: security-and-traffic.md §10). The
//! schemas and expressions were checked at build time; here they are compiled once, at first
//! use, and applied per request.

pub mod cel;
pub mod json_schema;
