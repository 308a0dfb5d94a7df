fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/route_conflict.json");
}
