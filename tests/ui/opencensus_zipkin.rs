fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/opencensus_zipkin.json");
}
