fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/flatmap_filter.json");
}
