fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/log_level.json");
}
