# Sourced by scripts/run and scripts/test. cargo-leptos uses the wasm-bindgen and wasm-opt
# it finds on PATH instead of downloading them (downloads fail on these machines);
# wasm-opt comes from the npm package binaryen@132 (Debian's older one breaks hydration).
export PATH="$HOME/.cargo/bin:$PWD/end2end/node_modules/.bin:$PATH"
