fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/martian_unknown_modifier.json");
}
