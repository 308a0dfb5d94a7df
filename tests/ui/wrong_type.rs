fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/wrong_type.json");
}
