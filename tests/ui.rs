//! Invalid contracts fail to compile with the expected diagnostics (one case per check rule).

#[test]
fn invalid_contracts_fail_to_compile() {
    let t = trybuild::TestCases::new();
    t.compile_fail("tests/ui/*.rs");
}
