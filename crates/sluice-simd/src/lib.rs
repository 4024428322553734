//! Vector kernels for Sluice's hot loops, chosen at run time.
//!
//! The workspace forbids `unsafe` (`[workspace.lints]`), and the release build targets
//! baseline x86-64 (SSE2), so neither safe code nor the compiler's auto-vectorizer can use
//! the AVX2 units the machines have. This crate is the one documented exception: each
//! kernel is a safe public function that checks the CPU once (`is_x86_feature_detected!`)
//! and calls an `#[target_feature(enable = "avx2")]` body, or falls back to a portable
//! scalar body with the same result on other CPUs and architectures.
//!
//! Rules for the code here:
//! - `unsafe` only for the call into a `#[target_feature]` function after the feature was
//!   detected and for `std::arch` loads/stores whose bounds the code checked; each block
//!   carries a `// SAFETY:` comment (clippy `undocumented_unsafe_blocks` is denied).
//! - Every kernel has a test comparing the vector and scalar bodies on the same inputs,
//!   including lengths that are not a multiple of the vector width.
//! - The public functions take and return plain slices and values; callers never see
//!   `std::arch` types.
pub mod agg;
pub mod modulo_mask;
pub mod object_end;
