#!/usr/bin/env bash
# The main job on the bundled sample (filled in by the foundation work).
set -euo pipefail
