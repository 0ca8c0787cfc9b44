#!/usr/bin/env bash
# Builds libsightline_codec.so (the thin C layer over the system's FFmpeg) into native/build/. Needs gcc, pkg-config
# and Debian's libavcodec-dev, libavutil-dev and libswscale-dev; says so and stops when they are missing.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
if ! command -v gcc >/dev/null 2>&1 || ! pkg-config --exists libavcodec libavutil libswscale libswresample 2>/dev/null; then
  echo "libsightline_codec: cannot build: install gcc, pkg-config, libavcodec-dev, libavutil-dev, libswscale-dev, libswresample-dev" >&2
  exit 1
fi
if [ build/libsightline_codec.so -nt sightline_codec.c ]; then exit 0; fi
gcc -O2 -fPIC -shared -Wall -Werror -o build/libsightline_codec.so sightline_codec.c $(pkg-config --cflags --libs libavcodec libavutil libswscale libswresample)
echo "libsightline_codec: built against libavcodec $(pkg-config --modversion libavcodec)"
