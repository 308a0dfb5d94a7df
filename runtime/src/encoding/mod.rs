//! Backend response decoding and client response rendering.
pub mod json;
pub mod negotiate;
pub mod rss;
pub mod xml;
pub mod xml_decode;
pub mod yaml;
