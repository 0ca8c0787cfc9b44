#!/usr/bin/env bash
# Builds libsightline_codec.so (the thin C layer over the system's FFmpeg) into native/build/. Needs gcc, pkg-config
# and Debian's libavcodec-dev, libavformat-dev, libavutil-dev, libswscale-dev and libswresample-dev; says so and stops
# when they are missing.
set -euo pipefail
cd "$(dirname "$0")"
mkdir -p build
if ! command -v gcc >/dev/null 2>&1 || ! pkg-config --exists libavcodec libavformat libavutil libswscale libswresample 2>/dev/null; then
  echo "libsightline_codec: cannot build: install gcc, pkg-config, libavcodec-dev, libavformat-dev, libavutil-dev, libswscale-dev, libswresample-dev" >&2
  exit 1
fi
sources=(sightline_codec.c sightline_format.c)
# Rebuilt when the sources differ from the last build here (a stamp of their hash, not file times: a checkout or a
# merge can leave an older library looking newer than the sources).
stamp=$(cat "${sources[@]}" build.sh | sha256sum | cut -d' ' -f1)
if [ -f build/libsightline_codec.so ] && [ "$(cat build/sources.sha256 2>/dev/null)" = "$stamp" ]; then exit 0; fi
gcc -O2 -fPIC -shared -Wall -Werror -o build/libsightline_codec.so "${sources[@]}" -lpthread $(pkg-config --cflags --libs libavcodec libavformat libavutil libswscale libswresample)
echo "$stamp" > build/sources.sha256
echo "libsightline_codec: built against libavcodec $(pkg-config --modversion libavcodec), libavformat $(pkg-config --modversion libavformat)"
