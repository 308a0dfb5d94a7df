fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/opencensus_with_otel.json");
}
