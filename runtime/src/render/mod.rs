//! Client response rendering: the data written as `output_encoding` asks (JSON, XML, YAML), and
//! the choice among them for `negotiate`.

pub mod canonical;
pub mod json;
pub mod negotiate;
pub mod xml;
pub mod yaml;
