fn main() {
    krustd_codegen::Builder::from_env()
        .emit_contract_tests(true)
        .compile_or_report();
}
