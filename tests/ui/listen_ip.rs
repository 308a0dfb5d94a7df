fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/listen_ip.json");
}
