fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/telemetry_stats.json");
}
