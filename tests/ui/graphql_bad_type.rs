fn main() {
    let _router = krustd_macros::gateway!("contracts/invalid/graphql_bad_type.json");
}
