#!/usr/bin/env bash
# The main job on the bundled sample: a real NAIP 0.6 m tile (cropped to 255 x 255 so that 5x divides
# it; RGB, the bands of the model) is degraded 5x by area averaging (as Planet 3 m from NAIP) with `geosr degrade`, then
# super-resolved back to 0.6 m twice: bicubic, and InfScene-SR joint diffusion with the bundled model.
# Both are COGs; `geosr eval` scores them against the real HR, and a PNG shows
# LR (nearest) | bicubic | diffusion | HR side by side.
set -euo pipefail
cd "$(dirname "$0")/.."
geosr=${GEOSR:-build/cli/geosr}
tile=data_samples/naip_riverside_2018_0.tif
out=out/demo
mkdir -p "$out"
export GDAL_PAM_ENABLED=NO

gdal_translate -q -b 1 -b 2 -b 3 -srcwin 0 0 255 255 -co COMPRESS=DEFLATE "$tile" "$out/hr.tif"
"$geosr" info "$out/hr.tif"
"$geosr" degrade -q --overwrite --scale 5 "$out/hr.tif" "$out/lr.tif"
"$geosr" sr -q --overwrite --method bicubic --scale 5 "$out/lr.tif" "$out/sr_bicubic.tif"
echo "Super-resolving with the bundled model (InfScene-SR, sdvc fusion, 50 steps):"
time "$geosr" sr --overwrite --method diffusion "$out/lr.tif" "$out/sr_diffusion.tif"
"$geosr" eval --reference "$out/hr.tif" --lr "$out/lr.tif" --grid 128,96 \
  --candidate "$out/sr_bicubic.tif" --candidate "$out/sr_diffusion.tif" --json "$out/eval.json"

# Preview: RGB bands, 255 px panels placed 8 px apart in a pixel-unit frame, mosaicked by a VRT.
panels=()
i=0
for src in "$out/lr.tif" "$out/sr_bicubic.tif" "$out/sr_diffusion.tif" "$out/hr.tif"; do
  x0=$((i * 263))
  gdal_translate -q -b 1 -b 2 -b 3 -outsize 255 255 -r nearest -a_srs EPSG:3857 \
    -a_ullr "$x0" 0 $((x0 + 255)) -255 "$src" "$out/panel$i.tif"
  panels+=("$out/panel$i.tif")
  i=$((i + 1))
done
gdalbuildvrt -q -overwrite "$out/preview.vrt" "${panels[@]}"
gdal_translate -q -of PNG "$out/preview.vrt" "$out/preview.png"
rm -f "$out/preview.vrt" "${panels[@]}"

echo
echo "Outputs in $out/:"
echo "  hr.tif            the real NAIP 0.6 m tile, RGB (255 x 255, from $tile)"
echo "  lr.tif            LR input, 5x area-degraded (3 m, COG)"
echo "  sr_bicubic.tif    bicubic super-resolution of lr.tif (COG)"
echo "  sr_diffusion.tif  InfScene-SR diffusion super-resolution of lr.tif (COG)"
echo "  eval.json         the scores printed above"
echo "  preview.png       LR (nearest) | bicubic | diffusion | HR"
