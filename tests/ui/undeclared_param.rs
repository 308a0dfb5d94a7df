fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/undeclared_param.json");
}
