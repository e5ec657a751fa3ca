#!/usr/bin/env bash
# Builds and runs one libFuzzer harness (or all of them) over Phantom's input parsers.
#
#   Tests/Fuzz/run.sh HARNESS [RUNS]     HARNESS: png | jpeg | tiff | nifti | dicom | slide | safetensors | unet_config | scheduler_config | all
#
# RUNS is the number of fuzzer executions (default 20000; 0 runs just the seed corpus
# and the regression inputs). Each harness compiles the library sources it needs into
# one binary with `-sanitize=fuzzer,address` (SwiftPM cannot build a library product
# with a libFuzzer entry point cleanly, so modules are compiled directly with swiftc
# into static libraries under .build-fuzz/). Builds are incremental per module.
#
# The seed corpus is Tests/Fuzz/corpus/<harness>/ (read-only: new coverage goes to
# .build-fuzz/corpus/<harness>/); crashing inputs are written to .build-fuzz/crashes/<harness>/.
# Inputs that once crashed live in Tests/Fuzz/regressions/<harness>/ and are replayed first.
#
# Environment: FUZZ_SEED (libFuzzer -seed, default 1),
# FUZZ_MAX_LEN (default 4096), FUZZ_MALLOC_LIMIT_MB (default 512), FUZZ_TIMEOUT (per input, s, default 10).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
FUZZ_DIR="$ROOT/Tests/Fuzz"
BUILD="$ROOT/.build-fuzz"
HARNESSES=(png jpeg tiff nifti dicom slide safetensors unet_config scheduler_config)

usage() { echo "usage: $0 {png|jpeg|tiff|nifti|dicom|slide|safetensors|unet_config|scheduler_config|all} [RUNS]" >&2; exit 2; }
[ $# -ge 1 ] || usage
WHICH=$1
RUNS=${2:-20000}
[[ "$RUNS" =~ ^[0-9]+$ ]] || usage

SWIFTC=${SWIFTC:-swiftc}
# libFuzzer and ASan report crashes; Swift's own backtracer would attach to the dying
# process as well and can hang there under ASan.
export SWIFT_BACKTRACE=enable=no
# -O: libFuzzer wants optimized code (an unoptimized TIFF decode of a 1.5-Mpixel page took 2.8 s
# under ASan, 10-20x the optimized one); Swift keeps its bounds and overflow traps at -O (only
# -Ounchecked drops them), and those traps are what the harnesses look for.
COMMON=(-sanitize=fuzzer,address -O -g -swift-version 6 -parse-as-library
        -I "$BUILD/modules" -I "$ROOT/Sources/CBLAS" -I "$ROOT/Sources/CPNG"
        -I "$ROOT/Sources/CJPEG" -I "$ROOT/Sources/CTIFF" -I "$ROOT/Sources/CNIfTI" -I "$ROOT/Sources/CDICOM/include"
        -I "$ROOT/Sources/COpenSlide" $(pkg-config --cflags openblas libpng libturbojpeg libtiff-4 openslide | sed 's/-I/-Xcc -I/g'))
# niftilib has no pkg-config file; DCMTK's wants libsndfile, so its libraries are named. The
# DICOM shim (C++) is compiled with ASan into an object of its own (build_dicom_shim).
DICOM_SHIM="$BUILD/dicom_shim.o"
LINK=(-use-ld=lld $(pkg-config --libs openblas libpng libturbojpeg libtiff-4 openslide) -lnifti2 -lznz -lz
      "$DICOM_SHIM" -ldcmimage -ldcmimgle -ldcmjpeg -ldcmjpls -ldcmdata -lijg8 -lijg12 -lijg16 -ldcmtkcharls
      -loflog -lofstd -lstdc++)

# Objects built with other flags are stale: start over when the flags change.
mkdir -p "$BUILD"
if [ "$(cat "$BUILD/flags" 2>/dev/null)" != "${COMMON[*]}" ]; then
    rm -rf "$BUILD/modules" "$BUILD"/lib*.a "$BUILD/dicom_shim.o"
    for harness in "${HARNESSES[@]}"; do rm -f "$BUILD/fuzz-$harness"; done   # binaries, not their logs
    echo "${COMMON[*]}" > "$BUILD/flags"
fi

# Module name, dependencies (space-separated, must be built first).
declare -A DEPS=(
    [PhantomTensor]=""
    [PhantomSafetensors]=""
    [PhantomLayers]="PhantomTensor"
    [PhantomDiffusion]="PhantomTensor PhantomLayers PhantomSafetensors"
    [PhantomImaging]="PhantomSafetensors"
)
declare -A HARNESS_MODULES=(
    [png]="PhantomSafetensors PhantomImaging"
    [jpeg]="PhantomSafetensors PhantomImaging"
    [tiff]="PhantomSafetensors PhantomImaging"
    [nifti]="PhantomSafetensors PhantomImaging"
    [dicom]="PhantomSafetensors PhantomImaging"
    [slide]="PhantomSafetensors PhantomImaging"
    [safetensors]="PhantomSafetensors"
    [unet_config]="PhantomTensor PhantomSafetensors PhantomLayers PhantomDiffusion"
    [scheduler_config]="PhantomTensor PhantomSafetensors PhantomLayers PhantomDiffusion"
)

# Compiles Sources/<module>/**/*.swift into .build-fuzz/lib<module>.a unless up to date.
build_module() {
    local module=$1 library="$BUILD/lib$1.a"
    mkdir -p "$BUILD/modules"
    local sources
    mapfile -t sources < <(find "$ROOT/Sources/$module" -name '*.swift' | sort)
    local newest=0
    for file in "${sources[@]}"; do
        local stamp; stamp=$(stat -c %Y "$file"); (( stamp > newest )) && newest=$stamp
    done
    for dep in ${DEPS[$module]}; do
        local stamp; stamp=$(stat -c %Y "$BUILD/lib$dep.a"); (( stamp > newest )) && newest=$stamp
    done
    if [ -f "$library" ] && (( $(stat -c %Y "$library") >= newest )); then return; fi
    echo "fuzz: compiling $module (${#sources[@]} files)" >&2
    "$SWIFTC" "${COMMON[@]}" -module-name "$module" -emit-library -static \
        -emit-module -emit-module-path "$BUILD/modules/$module.swiftmodule" \
        -o "$library" "${sources[@]}"
}

build_dicom_shim() {
    local source="$ROOT/Sources/CDICOM/dicom_shim.cpp"
    if [ -f "$DICOM_SHIM" ] && (( $(stat -c %Y "$DICOM_SHIM") >= $(stat -c %Y "$source") )); then return; fi
    mkdir -p "$BUILD"
    echo "fuzz: compiling the DICOM shim" >&2
    "${CLANGXX:-clang++}" -std=c++17 -g -O1 -fsanitize=address,fuzzer-no-link -I "$ROOT/Sources/CDICOM/include" \
        -c "$source" -o "$DICOM_SHIM"
}

build_harness() {
    build_dicom_shim
    local harness=$1 binary="$BUILD/fuzz-$1" source="$FUZZ_DIR/harnesses/$1.swift"
    local libs=()
    for module in ${HARNESS_MODULES[$harness]}; do build_module "$module"; libs+=("$BUILD/lib$module.a"); done
    local newest; newest=$(stat -c %Y "$source")
    for lib in "${libs[@]}"; do local s; s=$(stat -c %Y "$lib"); (( s > newest )) && newest=$s; done
    if [ -f "$binary" ] && (( $(stat -c %Y "$binary") >= newest )); then return; fi
    echo "fuzz: linking $binary" >&2
    # Static libraries in reverse dependency order for the linker.
    local ordered=()
    for (( i=${#libs[@]}-1; i>=0; i-- )); do ordered+=("${libs[$i]}"); done
    "$SWIFTC" "${COMMON[@]}" -module-name "Fuzz_$harness" -o "$binary" "$source" "${ordered[@]}" "${LINK[@]}"
}

run_harness() {
    local harness=$1
    build_harness "$harness"
    local work="$BUILD/corpus/$harness" crashes="$BUILD/crashes/$harness" log="$BUILD/fuzz-$harness.log"
    mkdir -p "$work" "$crashes"
    local regressions=()
    if [ -d "$FUZZ_DIR/regressions/$harness" ] && [ -n "$(ls -A "$FUZZ_DIR/regressions/$harness")" ]; then
        regressions=("$FUZZ_DIR/regressions/$harness"/*)
    fi
    local status=0
    # 1. Replay the regression inputs one by one (each must pass).
    if (( ${#regressions[@]} > 0 )); then
        "$BUILD/fuzz-$harness" -malloc_limit_mb="${FUZZ_MALLOC_LIMIT_MB:-512}" -detect_leaks=0 \
            "${regressions[@]}" >"$log.regressions" 2>&1 || status=$?
        if (( status != 0 )); then
            echo "$harness: a regression input crashes again (see $log.regressions)"; tail -30 "$log.regressions"
            return 1
        fi
    fi
    # 2. Fuzz from the seed corpus plus what earlier runs found.
    local dict=()
    [ -f "$FUZZ_DIR/dict/$harness.dict" ] && dict=(-dict="$FUZZ_DIR/dict/$harness.dict")
    "$BUILD/fuzz-$harness" "$work" "$FUZZ_DIR/corpus/$harness" "${dict[@]}" \
        -runs="$RUNS" -seed="${FUZZ_SEED:-1}" -max_len="${FUZZ_MAX_LEN:-4096}" \
        -malloc_limit_mb="${FUZZ_MALLOC_LIMIT_MB:-512}" -rss_limit_mb=2048 -timeout="${FUZZ_TIMEOUT:-10}" \
        -detect_leaks=0 -print_final_stats=1 -artifact_prefix="$crashes/" >"$log" 2>&1 || status=$?
    local executions; executions=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
    # crash-*, oom-*, timeout-* and leak-* artifacts of this run (slow-unit-* are not failures).
    local crashed; crashed=$(find "$crashes" -type f -newer "$BUILD/fuzz-$harness.started" \
        \( -name 'crash-*' -o -name 'oom-*' -o -name 'timeout-*' -o -name 'leak-*' \) 2>/dev/null | wc -l)
    printf '%-17s executions %-7s crashes %s  (log %s)\n' "$harness" "${executions:-?}" "$crashed" "${log#$ROOT/}"
    if (( status != 0 )); then
        grep -m1 -E 'ERROR: libFuzzer|ERROR: AddressSanitizer|Fatal error|Precondition failed|==ERROR' "$log" || true
        ls "$crashes" | sed 's/^/  input: .build-fuzz\/crashes\/'"$harness"'\//'
        return 1
    fi
}

case "$WHICH" in
    all) selected=("${HARNESSES[@]}") ;;
    png|jpeg|tiff|nifti|dicom|slide|safetensors|unet_config|scheduler_config) selected=("$WHICH") ;;
    *) usage ;;
esac

failed=0
for harness in "${selected[@]}"; do
    mkdir -p "$BUILD"; touch "$BUILD/fuzz-$harness.started"
    run_harness "$harness" || failed=1
done
exit $failed
