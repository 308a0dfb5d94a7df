fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/unsupported_root_key.json");
}
