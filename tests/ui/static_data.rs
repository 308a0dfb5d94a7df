fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/static_data.json");
}
