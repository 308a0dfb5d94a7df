fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/error_details_alias.json");
}
