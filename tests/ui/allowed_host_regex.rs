fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/allowed_host_regex.json");
}
