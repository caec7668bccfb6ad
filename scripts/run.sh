#!/usr/bin/env bash
# One command: install, migrate, load the demo on first start, serve on one port.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
source scripts/env.sh
PORT="${PORT:-3000}"
export PUBLIC_BASE_URL="${PUBLIC_BASE_URL:-http://localhost:$PORT}"
python -m chat_crm.demo --if-empty
cat <<MSG

  «Чат» запускается: $PUBLIC_BASE_URL
    CRM:                 $PUBLIC_BASE_URL/login
    Приложение клиента:  $PUBLIC_BASE_URL/app
  Демо-входы (пароль «demo»): admin@demo.ru, manager@demo.ru, operator@demo.ru

MSG
# Rebuilds the frontend only when the sources, the URL or the port changed.
exec python -m chat_crm.serve --port "$PORT"
