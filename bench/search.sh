#!/usr/bin/env bash
# bench/search.sh — full-text search over a large store (issue 13): fills a fresh store with SEARCH_MESSAGES
# messages (direct SQL in one transaction, the search index filled by migration 012's triggers or indexes as the
# server would), starts `chathub serve` on it and times representative searches through REST
# (GET /api/chat/chats?search=…&per_page=20, company token): median and p90 of SEARCH_REPS requests each, after
# two unmeasured ones. A benchmark, not a test: timing never fails it.
#
#   bench/search.sh                  # SQLite
#   SEARCH_STORE=postgres SEARCH_PG=postgresql://postgres@127.0.0.1:PORT/postgres bench/search.sh
#
# The data: SEARCH_CHATS chats (one client each: a Latin or Cyrillic name, a phone +7 (9xx) xxx-xx-xx, an e-mail
# userN@example.com) of one company, SEARCH_MESSAGES messages spread evenly over them, operator and client in
# turn; each text is five words of a 200-word Latin and Cyrillic vocabulary and a reference token, plus "order"
# in every 10th message, "заказ" in every 20th and "zebra" in every 10,000th.
# Environment (defaults): SEARCH_MESSAGES=1000000 SEARCH_CHATS=20000 SEARCH_REPS=30 SEARCH_STORE=sqlite
# SEARCH_PG (a server URL; a database bench_search is created and dropped) PORT=18600 CHATHUB_BIN=build/chathub
# Prints one JSON line per search and a summary line (fill time, database size) on stdout.
set -euo pipefail
cd "$(dirname "$0")/.."

MESSAGES=${SEARCH_MESSAGES:-1000000} CHATS=${SEARCH_CHATS:-20000} REPS=${SEARCH_REPS:-30}
STORE=${SEARCH_STORE:-sqlite} PORT=${PORT:-18600} BIN=${CHATHUB_BIN:-build/chathub}
log() { printf '[search %s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2; }
die() { echo "search bench: $*" >&2; exit 1; }
[ -x "$BIN" ] || die "$BIN not built"
for t in curl node; do command -v "$t" >/dev/null || die "needs $t"; done

work=$(mktemp -d "${TMPDIR:-/tmp}/chathub-search-bench.XXXXXX")
srv=''
db_url=''
cleanup() {
  if [ -n "$srv" ]; then kill "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; fi
  if [ -n "$db_url" ]; then psql "$SEARCH_PG" -qAtX -c 'DROP DATABASE IF EXISTS bench_search WITH (FORCE)' >/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

store_args=(--data-dir "$work/data")
if [ "$STORE" = postgres ]; then
  [ -n "${SEARCH_PG:-}" ] || die "SEARCH_STORE=postgres needs SEARCH_PG (a PostgreSQL server URL)"
  command -v psql >/dev/null || die "needs psql"
  psql "$SEARCH_PG" -qAtX -c 'SET client_min_messages = warning' -c 'DROP DATABASE IF EXISTS bench_search WITH (FORCE)' >/dev/null
  psql "$SEARCH_PG" -qAtX -c "CREATE DATABASE bench_search LOCALE 'C.UTF-8' TEMPLATE template0" >/dev/null
  db_url=${SEARCH_PG%/*}/bench_search
  store_args+=(--store-url "$db_url")
  export CHATHUB_JWT_SECRET=search-bench-secret-0123456789
fi

"$BIN" migrate "${store_args[@]}" >/dev/null 2>&1
CHATHUB_COMPANY_PASSWORD=benchbench "$BIN" company create --login bench --name Bench "${store_args[@]}" >/dev/null 2>&1
"$BIN" org create --company bench --name Support "${store_args[@]}" >/dev/null 2>&1

# The vocabulary: 100 Latin and 100 Cyrillic words ("order", "заказ" and "zebra" are not among them).
latin="hello please thanks help account payment delivery refund return package shipping invoice price discount
card bank transfer login password email address street city country phone number product size color weight
quality broken damaged missing late early today tomorrow yesterday week month support agent manager question
answer problem issue error website mobile app update version install download upload file photo screen button
click page link status tracking code coupon cart checkout basket store shop warehouse courier driver box letter
parcel gift service contract subscription plan upgrade cancel renew balance bonus points reward member team
office hours open closed weekend holiday morning evening night"
cyrillic="привет пожалуйста спасибо помощь аккаунт оплата доставка возврат посылка отправка счёт цена скидка
карта банк перевод вход пароль почта адрес улица город страна телефон номер товар размер цвет вес качество
сломан повреждён потерян поздно рано сегодня завтра вчера неделя месяц поддержка оператор менеджер вопрос ответ
проблема ошибка сайт приложение обновление версия установка загрузка файл фото экран кнопка страница ссылка
статус отслеживание код купон корзина магазин склад курьер водитель коробка письмо подарок услуга договор
подписка тариф отмена продление баланс бонус баллы награда команда офис часы открыто закрыто выходные праздник
утро вечер ночь день год время"
words=()
for w in $latin $cyrillic; do words+=("$w"); done
nw=${#words[@]}
values=$(for i in "${!words[@]}"; do printf "(%d,'%s')," "$((i + 1))" "${words[$i]}"; done)
values=${values%,}
first="Anna Boris Clara David Elena Fedor Galina Ivan Olga Petr Maria Nikolai Sofia Taras Zoe Анна Борис Ольга Пётр Мария"
last="Smith Jones Brown Miller Davis Wilson Taylor Clark Hall Young Иванов Петрова Смирнов Кузнецова Попов Соколова"

now=$(($(date +%s) * 1000))
# One SQL text for both dialects: k numbers rows from 0; r(x) is a pseudo-random integer of x (the same in
# SQLite and PostgreSQL, so both stores hold the same texts).
fill_sql() {   # $1: sqlite|postgres
  local seq_chats seq_msgs mod index=''
  if [ "$1" = sqlite ]; then
    # what the server's catch-up would do (migration 017), in the fill's transaction
    index="INSERT INTO messages_fts (rowid, text) SELECT id, text FROM messages WHERE author <> 2 AND text <> '';
UPDATE search_progress SET messages_upto = (SELECT MAX(id) FROM messages);"
    seq_chats="WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < $CHATS - 1) SELECT k FROM n"
    seq_msgs="WITH RECURSIVE n(k) AS (SELECT 0 UNION ALL SELECT k + 1 FROM n WHERE k < $MESSAGES - 1) SELECT k FROM n"
  else
    seq_chats="SELECT k FROM generate_series(0, $CHATS - 1) AS k"
    seq_msgs="SELECT k FROM generate_series(0, $MESSAGES - 1) AS k"
  fi
  local nf nl
  nf=$(wc -w <<<"$first"); nl=$(wc -w <<<"$last")
  local fv lv
  fv=$(i=0; for w in $first; do i=$((i + 1)); printf "(%d,'%s')," "$i" "$w"; done); fv=${fv%,}
  lv=$(i=0; for w in $last; do i=$((i + 1)); printf "(%d,'%s')," "$i" "$w"; done); lv=${lv%,}
  # r(x, salt): (x * 2654435761 + salt) mod 2^31, then mod n
  r() { echo "((($1) * 2654435761 + $2) % 2147483648)"; }
  cat <<SQL
BEGIN;
CREATE TEMP TABLE vocab (i INTEGER PRIMARY KEY, t TEXT NOT NULL);
INSERT INTO vocab VALUES $values;
CREATE TEMP TABLE fname (i INTEGER PRIMARY KEY, t TEXT NOT NULL);
INSERT INTO fname VALUES $fv;
CREATE TEMP TABLE lname (i INTEGER PRIMARY KEY, t TEXT NOT NULL);
INSERT INTO lname VALUES $lv;
CREATE TEMP TABLE nums (k INTEGER PRIMARY KEY);
INSERT INTO nums (k) $seq_chats;
INSERT INTO clients (id, organization_id, company_id, source, name, phone, email, created_at)
SELECT k + 1, 1, 1, 3,
  (SELECT t FROM fname WHERE i = 1 + $(r k 11) % $nf) || ' ' || (SELECT t FROM lname WHERE i = 1 + $(r k 13) % $nl),
  '+7 (9' || CAST(10 + k % 90 AS TEXT) || ') ' || substr(CAST(1000000 + k AS TEXT), 1, 3) || '-'
    || substr(CAST(1000000 + k AS TEXT), 4, 2) || '-' || substr(CAST(1000000 + k AS TEXT), 6, 2),
  'user' || k || '@example.com', $now - 86400000
FROM nums;
INSERT INTO chats (id, company_id, organization_id, client_id, source, status, theme, created_at, activity_at,
                   queued_at, last_seq, last_message_at, last_message)
SELECT k + 1, 1, 1, k + 1, 3, CASE WHEN k % 4 = 0 THEN 4 ELSE 2 END, '', $now - 86400000,
  $now - 86400000 + k * 1000, $now - 86400000, ($MESSAGES - 1 - k) / $CHATS + 1, $now - 86400000 + k * 1000, ''
FROM nums;
DROP TABLE nums;
CREATE TEMP TABLE nums (k INTEGER PRIMARY KEY);
INSERT INTO nums (k) $seq_msgs;
INSERT INTO messages (company_id, chat_id, seq, author, text, status, created_at)
SELECT 1, k % $CHATS + 1, k / $CHATS + 1, k % 2,
  (SELECT t FROM vocab WHERE i = 1 + $(r k 1) % $nw) || ' ' || (SELECT t FROM vocab WHERE i = 1 + $(r k 2) % $nw)
  || ' ' || (SELECT t FROM vocab WHERE i = 1 + $(r k 3) % $nw) || ' ' || (SELECT t FROM vocab WHERE i = 1 + $(r k 4) % $nw)
  || ' ' || (SELECT t FROM vocab WHERE i = 1 + $(r k 5) % $nw) || ' ref' || ($(r k 6) % 1000000)
  || CASE WHEN k % 10 = 0 THEN ' order' ELSE '' END || CASE WHEN k % 20 = 7 THEN ' заказ' ELSE '' END
  || CASE WHEN k % 10000 = 3 THEN ' zebra' ELSE '' END,
  3, $now - 86400000 + k
FROM nums;
$index
COMMIT;
SQL
}

log "filling $STORE: $CHATS chats, $MESSAGES messages"
t0=$(date +%s.%N)
if [ "$STORE" = postgres ]; then
  fill_sql postgres | sed 's/INTEGER PRIMARY KEY/bigint PRIMARY KEY/' | psql "$db_url" -qAtX -v ON_ERROR_STOP=1 >/dev/null
  # the sequences behind the ids the fill chose
  psql "$db_url" -qAtX -c "SELECT setval(pg_get_serial_sequence('clients', 'id'), $CHATS),
    setval(pg_get_serial_sequence('chats', 'id'), $CHATS)" -c "VACUUM ANALYZE" >/dev/null
  size=$(psql "$db_url" -qAtX -c "SELECT pg_database_size(current_database())")
else
  command -v sqlite3 >/dev/null || die "needs sqlite3"
  fill_sql sqlite >"$work/fill.sql"
  sqlite3 -bail "$work/data/chathub.db" <"$work/fill.sql"
  sqlite3 "$work/data/chathub.db" "PRAGMA wal_checkpoint(TRUNCATE); ANALYZE;" >/dev/null
  size=$(stat -c %s "$work/data/chathub.db")
fi
fill_s=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
log "filled in ${fill_s} s, database $((size / 1048576)) MiB"

CHATHUB_RATE_LIMIT_PER_SECOND=10000000 CHATHUB_RATE_LIMIT_BURST=10000000 CHATHUB_PASSWORD_HASH_COST=min \
  "$BIN" serve --listen "127.0.0.1:$PORT" "${store_args[@]}" >"$work/server.log" 2>&1 &
srv=$!
base="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
token=$(curl -sf -X POST "$base/api/company/get-token" -H 'Content-Type: application/json' \
  -d '{"login":"bench","password":"benchbench"}') || die "login failed: $(tail -5 "$work/server.log")"

# label|words
searches=(
  "common word (order, 10% of messages)|order"
  "rare word (zebra, 100 messages)|zebra"
  "Cyrillic word (заказ, 5% of messages)|заказ"
  "vocabulary word, any case (DELIVERY)|DELIVERY"
  "two words (order delivery)|order delivery"
  "prefix (deliv)|deliv"
  "client name (Ольга Петрова)|Ольга Петрова"
  "phone, typed differently (9251012345 → +7 (925) 101-23-45)|9251012345"
  "e-mail (user12345@example.com)|user12345@example.com"
  "no match (qwertyuiop)|qwertyuiop"
)
enc() { node -e 'process.stdout.write(encodeURIComponent(process.argv[1]))' "$1"; }
for s in "${searches[@]}"; do
  label=${s%%|*} q=${s#*|}
  url="$base/api/chat/chats?per_page=20&search=$(enc "$q")"
  total=$(curl -sf "$url" -H "Authorization: Bearer $token" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).total))')
  curl -sf -o /dev/null "$url" -H "Authorization: Bearer $token"
  times=$(for _ in $(seq 1 "$REPS"); do
    curl -sf -o /dev/null -w '%{time_total}\n' "$url" -H "Authorization: Bearer $token"; done | sort -n)
  med=$(awk '{ a[NR] = $1 * 1000 } END { printf "%.1f", (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }' <<<"$times")
  p90=$(awk '{ a[NR] = $1 * 1000 } END { i = int(NR * 0.9 + 0.999); if (i < 1) i = 1; printf "%.1f", a[i] }' <<<"$times")
  printf '{"store":"%s","label":"%s","search":"%s","chatsFound":%s,"medianMs":%s,"p90Ms":%s,"reps":%d}\n' \
    "$STORE" "$label" "$q" "$total" "$med" "$p90" "$REPS"
  log "$label: $total chats, median $med ms, p90 $p90 ms"
done
printf '{"store":"%s","summary":true,"messages":%d,"chats":%d,"fillSeconds":%s,"databaseBytes":%s}\n' \
  "$STORE" "$MESSAGES" "$CHATS" "$fill_s" "$size"
