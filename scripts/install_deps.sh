#!/usr/bin/env bash
# Installs the Debian 12 packages geosr needs that are not installed yet (idempotent, quiet when nothing is missing).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git
  libgdal-dev gdal-bin python3-gdal libproj-dev libgeos-dev
  libtorch-dev python3-torch python3-numpy python3-scipy
  libopencv-dev libeigen3-dev libboost-program-options-dev
  libgtest-dev libgmock-dev libomp-dev
  libopenmpi-dev openmpi-bin
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "Installing: ${missing[*]}" >&2
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
