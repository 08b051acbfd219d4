//! Placeholder replaced by the foundation benchmark (issue 2).
fn main() {
    eprintln!("foundation benchmark not written yet");
    std::process::exit(1);
}
