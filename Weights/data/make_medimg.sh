#!/usr/bin/env bash
# Build the 6-class medimg-64 image set with phantom, from five public scan volumes
# (see README.md in this folder).
#
#   Weights/data/make_medimg.sh [OUT]
#
# OUT (default /tmp/phantom-medimg) gets train/<class>/*.png, test/<class>/*.png,
# manifest.csv (file, split, class, source slice) and SOURCES.md. Environment:
#   PHANTOM               the phantom binary (default: .build/release/phantom, built if missing)
#   PHANTOM_MEDIMG_CACHE  downloads and volumes (default /tmp/phantom-medimg-cache)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
out="${1:-/tmp/phantom-medimg}"
cache="${PHANTOM_MEDIMG_CACHE:-/tmp/phantom-medimg-cache}"
phantom="${PHANTOM:-$root/.build/release/phantom}"

die() { printf 'make_medimg.sh: %s\n' "$*" >&2; exit 1; }

# The split: slabs of each plane's stack, as fractions of its extent. Three slabs of 6 %
# (about 11 mm of a head) go to test, placed symmetrically about the middle so that the
# mirror-image sagittal slices left and right of the midline fall on the same side; 2 %
# on each side of a test slab is left out of train, so no train slice is a near copy of
# a test slice.
test_slabs="0.22:0.28,0.47:0.53,0.72:0.78"
train_slabs="0:0.20,0.30:0.45,0.55:0.70,0.80:1"
# Slices with less than this share of foreground (a tenth of the window above its floor)
# are the caps and edges of the head.
min_foreground=0.15
# The CT in Hounsfield units through a brain window (centre 40, width 400); each MRI
# volume through its own 0.5th to 99.5th percentile (phantom's default).
ct_window=40,400

if [ ! -x "$phantom" ]; then
  command -v swift >/dev/null || die "no phantom binary at $phantom and no swift to build it (set PHANTOM=...)"
  (cd "$root" && swift build -c release --product phantom) || die "swift build failed"
fi
command -v python3 >/dev/null || die "python3 is needed to fetch the volumes (its standard library only)"
python3 "$here/fetch_volumes.py" "$cache" || die "fetching the volumes failed (see above)"
volumes="$cache/volumes"

work="$(mktemp -d "${TMPDIR:-/tmp}/make_medimg.XXXXXX")"
trap 'rm -rf "$work"' EXIT
printf 'file,split,class,source\n' > "$work/manifest.csv"
mkdir -p "$work/export"

for plane in axial coronal sagittal; do
  for modality in mri ct; do
    class="${modality}_${plane}"
    # One class folder of links to the volumes: phantom's class is the first-level folder.
    mkdir -p "$work/stage/$class/$class"
    for volume in "$volumes/$modality"/*.nii*; do ln -s "$volume" "$work/stage/$class/$class/"; done
    window=()
    if [ "$modality" = ct ]; then window=(--window "$ct_window"); fi
    for split in train test; do
      if [ "$split" = train ]; then slabs=$train_slabs; else slabs=$test_slabs; fi
      export="$work/export/$split-$class"
      "$phantom" dataset "$work/stage/$class" --resolution 64 --fit pad --planes "$plane" \
          --slice-range "$slabs" --min-foreground "$min_foreground" "${window[@]}" \
          --export "$export" > "$export.log" || { cat "$export.log" >&2; die "phantom dataset failed for $split $class"; }
      mkdir -p "$work/out/$split"
      mv "$export/$class" "$work/out/$split/$class"
      # file,class,source -> file,split,class,source (paths relative to OUT)
      tail -n +2 "$export/manifest.csv" | awk -F, -v part="$split" 'BEGIN { OFS = "," } { print part "/" $1, part, $2, $3 }' \
          >> "$work/manifest.csv"
    done
  done
done

# Counts, then the output replaces only what this script writes.
{
  cat "$volumes/SOURCES.md"
  printf '\nBuilt by Weights/data/make_medimg.sh (phantom at commit %s): 64x64 PNGs, --fit pad, test slabs %s, train slabs %s, --min-foreground %s, CT --window %s.\n\n' \
      "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)" "$test_slabs" "$train_slabs" "$min_foreground" "$ct_window"
  printf '| class | train | test |\n|---|---:|---:|\n'
  for class in mri_axial mri_coronal mri_sagittal ct_axial ct_coronal ct_sagittal; do
    printf '| %s | %d | %d |\n' "$class" "$(ls "$work/out/train/$class" | wc -l)" "$(ls "$work/out/test/$class" | wc -l)"
  done
} > "$work/SOURCES.md"
mkdir -p "$out"
rm -rf "$out/train" "$out/test"
mv "$work/out/train" "$work/out/test" "$out/"
mv "$work/manifest.csv" "$work/SOURCES.md" "$out/"
tail -n 8 "$out/SOURCES.md"
echo "make_medimg.sh: wrote $out"
