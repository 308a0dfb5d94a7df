fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/json_schema_invalid.json");
}
