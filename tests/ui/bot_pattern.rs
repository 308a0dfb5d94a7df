fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/bot_pattern.json");
}
