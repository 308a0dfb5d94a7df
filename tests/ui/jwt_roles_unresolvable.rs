fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/jwt_roles_unresolvable.json");
}
