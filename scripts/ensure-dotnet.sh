#!/usr/bin/env bash
# Fails with a clear message when the .NET 10 SDK is missing (Sightline's set-up assumes it is installed).
if ! command -v dotnet >/dev/null 2>&1; then
  echo "error: the .NET 10 SDK is required (dotnet not found on PATH)" >&2
  exit 1
fi
major=$(dotnet --version 2>/dev/null | cut -d. -f1)
if [ "${major:-0}" -lt 10 ]; then
  echo "error: the .NET 10 SDK is required (found $(dotnet --version))" >&2
  exit 1
fi
