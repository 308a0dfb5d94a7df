//! The gateway binary: the contract selected at build time (`KRUSTD_CONTRACT`), compiled in.

krustd_runtime::include_gateway!();

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    krustd_runtime::run::<gateway::Gateway>()
}
