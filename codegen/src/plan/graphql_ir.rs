//! The IR of a backend's `backend/graphql` operation.

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphQl {
    pub get: bool,
    pub mutation: bool,
    pub query: String,
    pub operation_name: String,
    /// Sorted by key (Go marshals a map sorted).
    pub variables: Vec<(String, GraphQlVar)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GraphQlVar {
    /// A constant, as JSON text.
    Json(String),
    /// `"{param}"`: the index of the endpoint parameter (`None`: no such parameter).
    Param(Option<usize>),
    /// `"{resp0_id}"`: a sequential value lura puts in the params (`Resp0_id`).
    Seq(String),
}
