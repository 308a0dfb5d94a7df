fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/sd_dns.json");
}
