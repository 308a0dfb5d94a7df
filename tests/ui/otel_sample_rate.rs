fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/otel_sample_rate.json");
}
