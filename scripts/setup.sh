# Sourced by scripts/run and scripts/test: everything both need, idempotent.
#  - a virtualenv in .venv with requirements.txt (re-installed when the file changes)
#  - bun from the npm registry in .tools (Reflex's own download needs the internet)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

PY="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  echo "==> 创建虚拟环境 .venv"
  "$PY" -m venv .venv
fi
stamp=".venv/.requirements.sha"
want="$(sha256sum requirements.txt | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "==> 安装 Python 依赖"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  echo "$want" > "$stamp"
fi

if [ ! -x .tools/node_modules/.bin/bun ]; then
  echo "==> 从 npm 安装 bun"
  npm install --prefix .tools --no-audit --no-fund bun@1.4 >/dev/null
fi

export PATH="$ROOT/.venv/bin:$ROOT/.tools/node_modules/.bin:$PATH"
export REFLEX_USE_SYSTEM_BUN=1
export REFLEX_CHECK_LATEST_VERSION=false
export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}"
