fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/logging_custom_verb.json");
}
