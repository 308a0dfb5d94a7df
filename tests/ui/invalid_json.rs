fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/invalid_json.json");
}
